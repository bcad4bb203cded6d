// The grants contract: just-in-time grants of N uses of one exact call until an expiry.
import type { IdentityType } from "../../record/index.js";
import type { CallBinding } from "./call-binding.js";

export type GrantState = "issued" | "used" | "expired" | "revoked";

export interface Grant {
  id: string;
  approvalId: string | null;
  subjectId: string;
  subjectType: IdentityType;
  action: string;
  resourceType: string;
  resourceId: string;
  argsDigest: string;
  usesRemaining: number;
  state: GrantState;
  createdAt: string;
  expiresAt: string;
}

/** A grant as it is issued (state "issued"); written by the effect grant.insert. */
export type NewGrant = Omit<Grant, "state">;

export interface GrantFilter {
  subjectId?: string;
  /** The state as grantView shows it at `now`: an issued grant past its expiry is "expired". */
  state?: GrantState;
  limit: number;
  now?: Date;
}

/**
 * Reads of the grants table. Synchronous: usableFor and expiredFor are asked on every decision that
 * meets an approval gate, and the hot path gains no await. Writes are StoreEffects (grant.insert,
 * grant.consume, grant.revoke), applied by the store inside the commit of the record that says so.
 */
export interface GrantRepository {
  /** undefined when no grant has this id. */
  get(id: string): Grant | undefined;
  /** The oldest issued grant for exactly this call with a use left and time left at `now`. */
  usableFor(binding: CallBinding, now: Date): Grant | undefined;
  /** The most recent grant for this call that ran out of time with uses left (GRANT_EXPIRED). */
  expiredFor(binding: CallBinding, now: Date): Grant | undefined;
  /** Newest first, at most `limit`. */
  list(filter: GrantFilter): Grant[];
}
