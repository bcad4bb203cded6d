// Who is working on the data directory from this process, for records made without an API credential.
import { userInfo } from "node:os";
import type { IdentityDirectory } from "../identity/index.js";
import type { Caller } from "../record/index.js";

/** Where the local account's name is read when no flag gives it. */
export const ACTOR_ENV = "ARBITER_ACTOR";

/**
 * The account behind a local process: `--actor`, else `$ARBITER_ACTOR`, else the operating-system
 * account (`os.userInfo()`, never `$USER`, which containers and service managers often lack; an
 * account without a name is `uid:N`). Recorded with how it was determined, and typed as the
 * directory's identity of that name if there is one, else as a human.
 */
export function localCaller(identities: IdentityDirectory, flag?: string): Caller {
  const env = process.env[ACTOR_ENV];
  const [name, determinedBy] =
    flag !== undefined && flag !== "" ? [flag, "actor_flag" as const] : env !== undefined && env !== "" ? [env, "actor_env" as const] : [osAccount(), "os_account" as const];
  const actor = identities.actorNamed(name);
  return { id: actor.id, type: actor.type, determined_by: determinedBy };
}

function osAccount(): string {
  try {
    const { username, uid } = userInfo();
    return username !== "" ? username : `uid:${uid}`;
  } catch {
    // No passwd entry for this uid (an arbitrary uid in a container).
    return typeof process.getuid === "function" ? `uid:${process.getuid()}` : "unknown-account";
  }
}
