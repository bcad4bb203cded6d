// Who is at the keyboard of a process working on the data directory itself, when no API credential says.
import { userInfo } from "node:os";
import type { Caller } from "../record/index.js";
import { identityIdSchema } from "./schema.js";

/** Where the local account's name is read when no flag gives it. */
export const ACTOR_ENV = "ARBITER_ACTOR";

export interface LocalAccount {
  name: string;
  determinedBy: Exclude<Caller["determined_by"], "credential">;
}

/**
 * `--actor`, else `$ARBITER_ACTOR`, else the operating-system account. Never `$USER`: containers,
 * CI runners and service managers often have none, and a missing variable must not stop a command.
 */
export function localAccount(flag?: string, env: NodeJS.ProcessEnv = process.env): LocalAccount {
  if (flag !== undefined && flag !== "") return { name: flag, determinedBy: "actor_flag" };
  const named = env[ACTOR_ENV];
  if (named !== undefined && named !== "") return { name: named, determinedBy: "actor_env" };
  return { name: osAccount(), determinedBy: "os_account" };
}

function osAccount(): string {
  try {
    const { username, uid } = userInfo();
    // A name records cannot carry (a space, a domain backslash) is named by its uid instead.
    return identityIdSchema.safeParse(username).success ? username : `uid:${uid}`;
  } catch {
    // No passwd entry for this uid (an arbitrary uid in a container): os.userInfo() throws.
    return typeof process.getuid === "function" ? `uid:${process.getuid()}` : "unknown-account";
  }
}
