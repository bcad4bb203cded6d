// The PDP as an enforcement point sees it: decide, report, follow an approval, filter what a caller may see.
import type { Decision, DecisionRequest, EnforcementReport, SubjectRef } from "../../decide/index.js";
import type { Candidate, Visibility } from "./visibility.js";

export interface ApprovalStatus {
  state: "pending" | "approved" | "denied" | "expired";
  expires_at: string;
}

/**
 * `decide` resolves only once the decision record is durable, and rejects when no decision could be
 * made (the engine refused the request, the ledger or the network failed): the caller must then
 * refuse the call. Every implementation fails closed.
 */
export interface DecisionPoint {
  decide(request: DecisionRequest): Promise<Decision>;
  /** Appends the enforcement record for a decision; rejects if it could not be recorded. */
  report(decisionId: string, report: EnforcementReport): Promise<void>;
  /** The state of an approval request this point waits on; undefined when it does not exist. */
  approval(id: string): Promise<ApprovalStatus | undefined>;
  /** Who the subject is, and for each candidate whether some call of it could be allowed (see visibleTo). */
  visible(subject: SubjectRef, candidates: readonly Candidate[]): Promise<Visibility>;
  close(): Promise<void>;
}
