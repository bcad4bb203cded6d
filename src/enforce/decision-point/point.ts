// The PDP as an enforcement point sees it: decide, report, follow an approval, filter what a caller may see.
import type { Candidate, Decision, DecisionRequest, EnforcementReport, RefusalRequest, SubjectRef, Visibility } from "../../decide/index.js";
import type { Caller } from "../../record/index.js";

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
  /**
   * `caller` names who asked when one process serves several enforcement points (forward-auth: the
   * proxy that authenticated); without it the point's own caller is recorded. A remote point ignores
   * it: the server records the PEP credential it was called with.
   */
  decide(request: DecisionRequest, caller?: Caller): Promise<Decision>;
  /** Records a refusal the PEP made before policy could be asked; resolves once it is durable. `null`: nobody authenticated. */
  refuse(request: RefusalRequest, caller?: Caller | null): Promise<Decision>;
  /** Appends the enforcement record for a decision; rejects if it could not be recorded. */
  report(decisionId: string, report: EnforcementReport, caller?: Caller): Promise<void>;
  /** The state of an approval request this point waits on; undefined when it does not exist. */
  approval(id: string): Promise<ApprovalStatus | undefined>;
  /** Who the subject is, and for each candidate whether some call of it could be allowed (see visibleTo). */
  visible(subject: SubjectRef, candidates: readonly Candidate[]): Promise<Visibility>;
  close(): Promise<void>;
}
