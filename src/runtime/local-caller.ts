// Who is working on the data directory from this process, for records made without an API credential.
import type { IdentityDirectory } from "../identity/index.js";
import type { Caller } from "../record/index.js";

/**
 * The account behind a local process, by identity/local-account.ts's one rule (`--actor`, else
 * `$ARBITER_ACTOR`, else the operating-system account), recorded with how it was determined, and typed
 * as the directory's identity of that name if there is one, else as a human.
 */
export function localCaller(identities: IdentityDirectory, flag?: string): Caller {
  const actor = identities.localActor(flag);
  return { id: actor.id, type: actor.type, determined_by: actor.determined_by };
}
