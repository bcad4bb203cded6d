// The moment an approval request opens, told to whoever must hear of it (approver notifications), after its record is durable.
import type { IdentityType, Pep } from "../record/index.js";

/**
 * One approval request that was just opened, with what an approver needs to judge it. `args` are
 * the call's arguments as sent, raw: a listener that lets them out of the process must mask them.
 */
export interface ApprovalOpened {
  requestId: string;
  decisionId: string;
  requester: { id: string; type: IdentityType; owner?: string };
  action: string;
  resource: { type: string; id: string };
  args?: unknown;
  /** The note of the policy that asked for the approval. */
  note: string;
  policy: string;
  approverRole: string;
  createdAt: string;
  expiresAt: string;
  pep?: Pep;
}

export type ApprovalListener = (opened: ApprovalOpened) => void;

/** Listeners of opened approvals; one that throws is reported and never fails the decision that opened the request. */
export class ApprovalAnnouncer {
  private readonly listeners = new Set<ApprovalListener>();

  /** Adds a listener; the function returned removes it. */
  listen(listener: ApprovalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  announce(opened: ApprovalOpened): void {
    for (const listener of this.listeners) {
      try {
        listener(opened);
      } catch (err) {
        process.emitWarning(`an approval listener failed for ${opened.requestId}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}
