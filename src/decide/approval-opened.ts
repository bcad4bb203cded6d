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
