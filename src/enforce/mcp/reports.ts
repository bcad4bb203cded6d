// Enforcement records written behind the answer: the decision was durable before the call ran, so the agent never waits for these, but none is dropped.
import type { EnforcementReport } from "../../decide/index.js";
import type { DecisionPoint } from "../decision-point/index.js";

const ATTEMPTS = 3;
const BACKOFF_MS = 100;

export class ReportQueue {
  private readonly sending = new Set<Promise<void>>();
  private queued: { decisionId: string; report: EnforcementReport }[] = [];
  private scheduled = false;
  private readonly point: DecisionPoint;
  private readonly log: (line: string) => void;

  constructor(point: DecisionPoint, log: (line: string) => void) {
    this.point = point;
    this.log = log;
  }

  /**
   * Queues the enforcement record of a decision. It is sent on the next turn of the event loop, after
   * the answer to the agent has been written (building and committing the record costs the engine
   * about as much as the decision did); failures are retried, then logged, never thrown at the caller.
   */
  submit(decisionId: string, report: EnforcementReport): void {
    this.queued.push({ decisionId, report });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queued;
    this.queued = [];
    for (const { decisionId, report } of batch) {
      const sent = this.send(decisionId, report).finally(() => this.sending.delete(sent));
      this.sending.add(sent);
    }
  }

  private async send(decisionId: string, report: EnforcementReport): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.point.report(decisionId, report);
        return;
      } catch (err) {
        last = err;
        await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** attempt));
      }
    }
    this.log(`arbiter mcp: the enforcement record (${report.status}) of decision ${decisionId} could not be written: ${last instanceof Error ? last.message : String(last)}`);
  }

  /** Resolves once every queued record is written or given up on (before the decision point closes). */
  async drain(): Promise<void> {
    this.flush();
    while (this.sending.size > 0) await Promise.allSettled([...this.sending]);
  }
}
