// The `lifecycle` record of each identity change: who, what, by whom, which credential. Never a secret or a hash.
import type { Caller, JsonObject, LifecycleRecord, RecordInput } from "../record/index.js";
import type { Authenticated } from "./authenticate.js";
import type { Actor, CredentialInfo, Identity } from "./schema.js";

export type LifecycleEvent = LifecycleRecord["event"];

export interface LifecycleDetail {
  credential?: CredentialInfo;
  note?: string;
  /** Detail with no field of its own (the replaced keys of a rotation, a grace period, changed fields). */
  attributes?: JsonObject;
}

/** The subject form of an identity, as records carry it. */
export function subjectOf(identity: Identity): { id: string; type: Identity["type"]; owner?: string; groups?: string[] } {
  return {
    id: identity.id,
    type: identity.type,
    ...(identity.owner !== null ? { owner: identity.owner } : {}),
    ...(identity.groups.length > 0 ? { groups: identity.groups } : {}),
  };
}

/** The actor as a record's `caller`: who, and how that was determined. */
export function callerOf(actor: Actor): Caller {
  return {
    id: actor.id,
    type: actor.type,
    determined_by: actor.determined_by ?? "actor_flag",
    ...(actor.credential !== undefined ? { credential: { id: actor.credential.id, kind: actor.credential.kind } } : {}),
  };
}

export function lifecycleRecord(event: LifecycleEvent, identity: Identity, actor: Actor, detail: LifecycleDetail = {}): RecordInput {
  const { credential, note, attributes } = detail;
  return {
    kind: "lifecycle",
    event,
    identity: subjectOf(identity),
    actor: { id: actor.id, type: actor.type },
    ...(actor.determined_by !== undefined ? { caller: callerOf(actor) } : {}),
    ...(credential !== undefined
      ? {
          credential: {
            id: credential.id,
            kind: credential.kind,
            issued_at: credential.created_at,
            ...(credential.expires_at !== null ? { expires_at: credential.expires_at } : {}),
            ...(credential.task !== null ? { task: credential.task } : {}),
          },
        }
      : {}),
    ...(note !== undefined && note !== "" ? { note } : {}),
    ...(attributes !== undefined ? { attributes } : {}),
  };
}

/** The `event` recording that an authenticated caller was refused an operation for want of an operator role. */
export function roleRefusalRecord(auth: Authenticated, operation: string, roles: readonly string[]): RecordInput {
  const { identity, credential } = auth;
  return {
    kind: "event",
    source: "arbiter",
    subject: { ...subjectOf(identity), credential: { id: credential.id, kind: credential.kind } },
    action: operation,
    resource: { id: operation.slice(operation.indexOf(" ") + 1), type: "api_route" },
    outcome: "deny",
    control: "access",
    reason_code: "ROLE_REQUIRED",
    note: `${identity.id} needs the role ${roles.join(" or ")} for ${operation}`,
  };
}

/** The `event` recording that a PEP named a caller outside its assertion scope where no decision is made. */
export function assertionRefusalRecord(pep: Identity, operation: string, assertedId: string, note: string): RecordInput {
  return {
    kind: "event",
    source: "arbiter",
    subject: subjectOf(pep),
    action: operation,
    resource: { id: assertedId, type: "asserted_subject" },
    outcome: "deny",
    control: "access",
    reason_code: "ASSERTION_OUT_OF_SCOPE",
    note,
  };
}
