// Enforcement records of the HTTP doors, written after the answer: the decision was durable before the
// request was forwarded, so the client never waits for its enforcement record, but a record that
// cannot be written is counted and named (health, metrics, log), never dropped in silence.
import type { EnforcementReport } from "../../decide/index.js";
import type { Caller } from "../../record/index.js";
import type { DecisionPoint } from "../decision-point/index.js";

const ATTEMPTS = 3;
const BACKOFF_MS = 100;

export interface EnforcementRecordsStatus {
  /** Enforcement records appended since this process started. */
  written: number;
  /** Given up on after every attempt: decisions whose enforcement record is missing from the ledger. */
  failed: number;
  /** Submitted and not yet written or given up on. */
  pending: number;
  /** The last one given up on. */
  last_failure?: { decision_id: string; status: EnforcementReport["status"]; error: string; at: string };
}

export class EnforcementReports {
  private readonly sending = new Set<Promise<void>>();
  private written = 0;
  private failed = 0;
  private lastFailure: EnforcementRecordsStatus["last_failure"];

  constructor(
    private readonly point: DecisionPoint,
    private readonly log: (line: string) => void,
    private readonly now: () => Date,
  ) {}

  /**
   * Appends the record, retried with backoff. The promise never rejects and resolves once the record
   * is written or given up on; the reverse proxy does not wait for it (the answer is already sent).
   */
  submit(decisionId: string, report: EnforcementReport, caller?: Caller): Promise<void> {
    const sent = this.send(decisionId, report, caller).finally(() => this.sending.delete(sent));
    this.sending.add(sent);
    return sent;
  }

  status(): EnforcementRecordsStatus {
    return { written: this.written, failed: this.failed, pending: this.sending.size, ...(this.lastFailure ? { last_failure: this.lastFailure } : {}) };
  }

  /** Resolves once every submitted record is written or given up on (before the decision point closes). */
  async drain(): Promise<void> {
    while (this.sending.size > 0) await Promise.allSettled([...this.sending]);
  }

  private async send(decisionId: string, report: EnforcementReport, caller: Caller | undefined): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        await this.point.report(decisionId, report, caller);
        this.written++;
        return;
      } catch (err) {
        last = err;
        if (attempt + 1 < ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2 ** attempt));
      }
    }
    const error = (last instanceof Error ? last.message : String(last)).slice(0, 512);
    this.failed++;
    this.lastFailure = { decision_id: decisionId, status: report.status, error, at: this.now().toISOString() };
    this.log(`arbiter http: the enforcement record (${report.status}) of decision ${decisionId} could not be written: ${error}`);
  }
}
