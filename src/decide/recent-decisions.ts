// The decisions this process recorded last, so that the enforcement record a PEP in this process
// reports a moment later is built from the decision in hand rather than read back from the store.
// Reading it back (index lookup, entry read, JSON parse) was ≈ 4% of the reverse proxy's
// main-thread time under bench:proxy (BENCHMARKS.md, "HTTP enforcement").
import type { RecordInputOfKind } from "../record/index.js";

/** What an enforcement record copies from its decision. */
export type DecisionFacts = Pick<RecordInputOfKind<"decision">, "subject" | "action" | "resource" | "correlation">;

/** Enough for every request in flight at a few thousand a second; a decision past it is read back. */
const DEFAULT_CAPACITY = 4096;

export class RecentDecisions {
  private readonly facts = new Map<string, DecisionFacts>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /** Called once the decision record is durable: a decision that failed to append is never remembered. */
  remember(id: string, record: DecisionFacts): void {
    this.facts.set(id, { subject: record.subject, action: record.action, resource: record.resource, ...(record.correlation ? { correlation: record.correlation } : {}) });
    // A Map iterates in insertion order: the first key is the oldest decision.
    if (this.facts.size > this.capacity) this.facts.delete(this.facts.keys().next().value as string);
  }

  get(id: string): DecisionFacts | undefined {
    return this.facts.get(id);
  }
}
