// State changes that commit together with a ledger entry, as data the store applies in its own transaction.
import type { RawValueSelector } from "../types.js";
import type { ApprovalState, NewApprovalRequest } from "./approvals.js";
import type { NewBreakGlassSession } from "./break-glass.js";
import type { NewGrant } from "./grants.js";
import type { IdentityEffect } from "./identities.js";
import type { PolicyActivation } from "./policies.js";

/**
 * One state change of a table beside the ledger. Data, not a closure: SQLite applies it inside its
 * synchronous write transaction, PostgreSQL inside the transaction that inserts the entry (one
 * statement each, in the same round trip), and a store on another engine can do the same. A change
 * that finds the state moved on (a grant's last use taken, a request already decided) throws
 * CONFLICT, and the entry it came with is not stored either.
 */
export type StoreEffect =
  | { type: "grant.insert"; grant: NewGrant }
  /** Takes one use at `at`; CONFLICT when none is left, the grant is not issued, or it expired. */
  | { type: "grant.consume"; id: string; at: string }
  /** CONFLICT unless the grant is issued. */
  | { type: "grant.revoke"; id: string }
  | { type: "approval.insert"; request: NewApprovalRequest }
  /** Moves a pending request to its final state; CONFLICT when it is no longer pending. */
  | { type: "approval.decide"; id: string; state: Exclude<ApprovalState, "pending">; at: string; approver: string | null; justification: string | null }
  /** CONFLICT when the identity already has a session open at the session's start. */
  | { type: "break_glass.open"; session: NewBreakGlassSession }
  /** Counts one decision made under the session. */
  | { type: "break_glass.use"; id: string }
  /** CONFLICT when the session has already ended. */
  | { type: "break_glass.end"; id: string; at: string }
  /** CONFLICT when the session does not exist or was already reviewed. */
  | { type: "break_glass.review"; id: string; at: string; reviewer: string; note: string }
  /** Stores a policy version and activates it; CONFLICT when the active version is no longer `previous`. */
  | { type: "policy.activate"; activation: PolicyActivation }
  /** Deletes the raw values of a subject or a record; CONFLICT unless exactly `expected` were deleted. */
  | { type: "raw_values.erase"; selector: RawValueSelector; expected: number }
  /**
   * Removes a delivery `owner` holds from the notification outbox, with the final notification record
   * that says how it ended, so that a crash between the two can neither lose the record nor write it
   * twice. A no-op when the lease has passed to another process (it tries again and records that).
   */
  | { type: "notify.finish"; deliveryId: string; owner: string }
  | IdentityEffect;
