// What the findings check an event against: every credential's lifecycle times and every identity's owner, read once per run.
import type { IdentityDirectory, Identity } from "../identity/index.js";

export interface CredentialFacts {
  id: string;
  identityId: string;
  kind: "api_key" | "token";
  createdMs: number;
  /** API keys: end of the rotation grace; tokens: exp. */
  expiresAt: string | null;
  rotatedAt: string | null;
  revokedAt: string | null;
  replacedBy: string | null;
  /** Tokens issued for a task: the task, and when it was completed (null while it is open). */
  task: string | null;
  taskCompletedAt: string | null;
}

export interface IdentityFacts {
  identity: Identity;
  /** Why nobody is accountable for this non-human identity, or undefined when someone is. */
  ownerProblem: string | undefined;
}

export interface IdentityState {
  credentials: Map<string, CredentialFacts>;
  identities: Map<string, IdentityFacts>;
}

/**
 * The same rule as authentication applies (src/identity/authenticate.ts): a non-human identity
 * needs a human owner who is not revoked or offboarded; a suspended owner is still accountable.
 */
function ownerProblemOf(identity: Identity, byId: Map<string, Identity>): string | undefined {
  if (identity.type === "human") return undefined;
  if (identity.owner === null) return "it has no owner";
  const owner = byId.get(identity.owner);
  if (owner === undefined) return `its owner ${identity.owner} is unknown`;
  if (owner.type !== "human") return `its owner ${owner.id} is not a human`;
  if (owner.status === "revoked" || owner.status === "offboarded") return `its owner ${owner.id} is ${owner.status}`;
  return undefined;
}

/** The directory as it is now; rotation and revocation times make the checks exact for any event time. */
export function loadIdentityState(directory: IdentityDirectory): IdentityState {
  const all = directory.list();
  const byId = new Map(all.map((identity) => [identity.id, identity]));
  const identities = new Map<string, IdentityFacts>();
  const credentials = new Map<string, CredentialFacts>();
  const taskCompletedAt = new Map<string, string | null>();
  const completedAt = (task: string | null): string | null => {
    if (task === null) return null;
    if (!taskCompletedAt.has(task)) taskCompletedAt.set(task, directory.task(task)?.completed_at ?? null);
    return taskCompletedAt.get(task) ?? null;
  };
  for (const identity of all) {
    identities.set(identity.id, { identity, ownerProblem: ownerProblemOf(identity, byId) });
    for (const c of directory.credentials(identity.id)) {
      credentials.set(c.id, {
        id: c.id,
        identityId: c.identity_id,
        kind: c.kind,
        createdMs: Date.parse(c.created_at),
        expiresAt: c.expires_at,
        rotatedAt: c.rotated_at,
        revokedAt: c.revoked_at,
        replacedBy: c.replaced_by,
        task: c.task,
        taskCompletedAt: completedAt(c.task),
      });
    }
  }
  return { credentials, identities };
}
