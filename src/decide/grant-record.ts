// The ledger record of a grant's state change.
import type { Grant } from "../store/index.js";

/** The ledger record of a grant's state change (issued, revoked), built in one place for every writer. */
export function grantRecord(grant: Omit<Grant, "state">, state: "issued" | "revoked", attributes?: Record<string, string>): Record<string, unknown> {
  return {
    kind: "grant",
    grant_id: grant.id,
    state,
    subject: { id: grant.subjectId, type: grant.subjectType },
    action: grant.action,
    resource: { id: grant.resourceId, type: grant.resourceType },
    args_digest: grant.argsDigest,
    ...(grant.approvalId ? { approval_request_id: grant.approvalId } : {}),
    uses_remaining: grant.usesRemaining,
    expires_at: grant.expiresAt,
    ...(attributes ? { attributes } : {}),
  };
}
