// Revoking a JIT grant before it is used up or expires: the state change and its record commit together.
import type { Ledger } from "../ledger/index.js";
import { ArbiterError } from "../record/index.js";
import type { Grant, GrantBook } from "./grants.js";

export interface GrantRevocationDeps {
  grants: GrantBook;
  ledger: Ledger;
}

/** Revokes grant `id` on behalf of operator `by`; NOT_FOUND if there is none, CONFLICT if it is no longer issued. */
export async function revokeGrant({ grants, ledger }: GrantRevocationDeps, id: string, by: string): Promise<Grant> {
  const grant = grants.get(id);
  if (!grant) throw new ArbiterError("NOT_FOUND", `grant ${id} does not exist`);
  await ledger.append(
    {
      kind: "grant",
      grant_id: grant.id,
      state: "revoked",
      subject: { id: grant.subjectId, type: grant.subjectType },
      action: grant.action,
      resource: { id: grant.resourceId, type: grant.resourceType },
      args_digest: grant.argsDigest,
      ...(grant.approvalId ? { approval_request_id: grant.approvalId } : {}),
      uses_remaining: grant.usesRemaining,
      expires_at: grant.expiresAt,
      attributes: { revoked_by: by },
    },
    { effect: grants.revokeEffect(grant.id) },
  );
  return grants.get(grant.id) as Grant;
}
