// The approvals contract: requests bound to one exact call, decided once by an eligible approver.
import type { IdentityType } from "../../record/index.js";
import type { CallBinding } from "./call-binding.js";

export type ApprovalState = "pending" | "approved" | "denied" | "expired";

export interface ApprovalRequest {
  id: string;
  state: ApprovalState;
  requesterId: string;
  requesterType: IdentityType;
  requesterOwner: string | null;
  action: string;
  resourceType: string;
  resourceId: string;
  argsDigest: string;
  policyVersion: string;
  gatePolicy: string;
  approverRole: string;
  allowOwner: boolean;
  grantUses: number;
  grantTtlSeconds: number;
  decisionId: string;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  approver: string | null;
  justification: string | null;
}

/** A request as it is opened (state "pending"); written by the effect approval.insert. */
export type NewApprovalRequest = Omit<ApprovalRequest, "state" | "decidedAt" | "approver" | "justification">;

export interface ApprovalFilter {
  /** The state as approvalView shows it at `now`: a pending request past its expiry is "expired". */
  state?: ApprovalState;
  requesterId?: string;
  limit: number;
  now?: Date;
}

/**
 * Reads of the approvals table; synchronous (latestFor is asked on the decision path). Writes are
 * StoreEffects (approval.insert, approval.decide) committed with the `approval` or decision record.
 */
export interface ApprovalRepository {
  /** undefined when no request has this id. */
  get(id: string): ApprovalRequest | undefined;
  /** The newest request for exactly this call, whatever its state. */
  latestFor(binding: CallBinding): ApprovalRequest | undefined;
  /** Newest first (creation time, then insertion order), at most `limit`. */
  list(filter: ApprovalFilter): ApprovalRequest[];
}
