// The lifecycle state machine of an identity: which transition is allowed from which status.
import type { IdentityStatus } from "./schema.js";

export type Transition = "suspend" | "reactivate" | "revoke" | "offboard";

/** The lifecycle record event each transition appends. */
export const TRANSITION_EVENT = {
  suspend: "suspended",
  reactivate: "reactivated",
  revoke: "revoked",
  offboard: "offboarded",
} as const satisfies Record<Transition, string>;

/**
 * Next status by transition and current status; a missing entry is refused. Revoked ends every
 * credential for good (only offboarding may follow); offboarded is terminal, the identity is kept
 * for the audit trail.
 */
const NEXT: Record<Transition, Partial<Record<IdentityStatus, IdentityStatus>>> = {
  suspend: { active: "suspended" },
  reactivate: { suspended: "active" },
  revoke: { active: "revoked", suspended: "revoked" },
  offboard: { active: "offboarded", suspended: "offboarded", revoked: "offboarded" },
};

/** The status after `transition`, or undefined when it is not allowed from `from`. */
export function nextStatus(from: IdentityStatus, transition: Transition): IdentityStatus | undefined {
  return NEXT[transition][from];
}
