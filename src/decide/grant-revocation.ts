// Revoking a JIT grant before it is used up or expires: the state change and its record commit together.
import type { Ledger } from "../ledger/index.js";
import { ArbiterError } from "../record/index.js";
import type { Grant, GrantRepository } from "../store/index.js";
import { grantRecord } from "./grant-record.js";

export interface GrantRevocationDeps {
  grants: GrantRepository;
  ledger: Ledger;
}

/** Revokes grant `id` on behalf of operator `by`; NOT_FOUND if there is none, CONFLICT if it is no longer issued. */
export async function revokeGrant({ grants, ledger }: GrantRevocationDeps, id: string, by: string): Promise<Grant> {
  const grant = grants.get(id);
  if (!grant) throw new ArbiterError("NOT_FOUND", `grant ${id} does not exist`);
  await ledger.append(grantRecord(grant, "revoked", { revoked_by: by }), { effects: [{ type: "grant.revoke", id: grant.id }] });
  return grants.get(grant.id) as Grant;
}
