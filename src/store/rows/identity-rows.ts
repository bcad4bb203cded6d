// The identity tables' rows as both stores hold them (JSON arrays and objects as text) and their mapping to the contract's types.
import type { JsonObject } from "../../record/index.js";
import type { ManagedType, AssertionScope, CredentialInfo, CredentialKind, CredentialRow, CredentialWithHolder, Holder, Identity, IdentityStatus } from "../contracts/identities.js";

export interface IdentityRow {
  id: string;
  type: ManagedType;
  owner: string | null;
  status: IdentityStatus;
  display_name: string | null;
  groups: string;
  roles: string;
  attributes: string;
  assertion_scope: string | null;
  credentials_not_before: string | null;
  credentials_grace_until: string | null;
  created_at: string;
  updated_at: string;
}

export const IDENTITY_COLUMNS = `id, type, owner, status, display_name, groups, roles, attributes, assertion_scope, credentials_not_before,
  credentials_grace_until, created_at, updated_at`;
export const CREDENTIAL_COLUMNS = "id, identity_id, kind, status, created_at, expires_at, rotated_at, revoked_at, replaced_by, task";

export interface HolderRow extends IdentityRow {
  owner_type: ManagedType | null;
  owner_status: IdentityStatus | null;
}

export interface CredentialHolderRow extends Partial<HolderRow> {
  c_id: string;
  c_identity_id: string;
  c_kind: CredentialKind;
  c_status: CredentialInfo["status"];
  c_created_at: string;
  c_expires_at: string | null;
  c_rotated_at: string | null;
  c_revoked_at: string | null;
  c_replaced_by: string | null;
  c_secret_hash: Buffer | null;
  c_task: string | null;
  c_task_completed_at: string | null;
}

// One statement per lookup on the hot path: each costs ~10 µs however many rows it joins (measured).
export const HOLDER_SELECT = `SELECT ${IDENTITY_COLUMNS.replace(/(\w+)/g, "i.$1")}, o.type AS owner_type, o.status AS owner_status`;
export const CREDENTIAL_HOLDER_SQL = `${HOLDER_SELECT},
    c.id AS c_id, c.identity_id AS c_identity_id, c.kind AS c_kind, c.status AS c_status, c.created_at AS c_created_at,
    c.expires_at AS c_expires_at, c.rotated_at AS c_rotated_at, c.revoked_at AS c_revoked_at, c.replaced_by AS c_replaced_by,
    c.secret_hash AS c_secret_hash, c.task AS c_task, t.completed_at AS c_task_completed_at
  FROM credentials c LEFT JOIN identities i ON i.id = c.identity_id LEFT JOIN identities o ON o.id = i.owner
    LEFT JOIN tasks t ON t.id = c.task
  WHERE c.id = ?`;

export function toHolder(row: HolderRow): Holder {
  const owner = row.owner_type !== null && row.owner_status !== null ? { type: row.owner_type, status: row.owner_status } : undefined;
  return { identity: toIdentity(row), owner };
}

export function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    type: row.type,
    owner: row.owner,
    status: row.status,
    display_name: row.display_name,
    groups: JSON.parse(row.groups) as string[],
    roles: JSON.parse(row.roles) as string[],
    attributes: JSON.parse(row.attributes) as JsonObject,
    assertion_scope: row.assertion_scope === null ? null : (JSON.parse(row.assertion_scope) as AssertionScope),
    credentials_not_before: row.credentials_not_before,
    credentials_grace_until: row.credentials_grace_until,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function scopeText(identity: Identity): string | null {
  return identity.assertion_scope === null ? null : JSON.stringify(identity.assertion_scope);
}

/** A credential read with its identity and that identity's owner in one row (c_ columns are the credential's). */
export function toCredentialWithHolder(row: CredentialHolderRow): CredentialWithHolder {
  const credential: CredentialRow = {
    id: row.c_id,
    identity_id: row.c_identity_id,
    kind: row.c_kind,
    status: row.c_status,
    created_at: row.c_created_at,
    expires_at: row.c_expires_at,
    rotated_at: row.c_rotated_at,
    revoked_at: row.c_revoked_at,
    replaced_by: row.c_replaced_by,
    secret_hash: row.c_secret_hash,
    task: row.c_task,
  };
  return { credential, holder: typeof row.id === "string" ? toHolder(row as HolderRow) : undefined, taskCompletedAt: row.c_task_completed_at };
}
