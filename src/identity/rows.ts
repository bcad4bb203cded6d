// The identity tables in SQLite: prepared statements on the shared connection, rows in and out.
// Nothing here caches state: another process may change a row at any moment and every read must see it.
// Every write bumps the connection's change counter, so that caches of what these rows say (the operator
// credentials a server remembers) are dropped by the next lookup.
import type { Statement } from "better-sqlite3";
import { changeCounterOf, type ChangeCounter, type SqliteDatabase } from "../store/index.js";
import {
  CREDENTIAL_COLUMNS,
  CREDENTIAL_HOLDER_SQL,
  HOLDER_SELECT,
  IDENTITY_COLUMNS,
  scopeText,
  toHolder,
  toIdentity,
  type CredentialHolderRow,
  type CredentialRow,
  type Holder,
  type HolderRow,
  type IdentityRow,
  type NewCredential,
  type TaskRow,
} from "./row-mapping.js";
import type { CredentialInfo, CredentialKind, Identity, IdentityStatus, ListFilter } from "./schema.js";

export type { CredentialRow, Holder, NewCredential, TaskRow } from "./row-mapping.js";


export class IdentityRows {
  private readonly stmt: {
    identity: Statement<[string], IdentityRow | undefined>;
    holder: Statement<[string], HolderRow | undefined>;
    credentialHolder: Statement<[string], CredentialHolderRow | undefined>;
    list: Statement<[Record<"type" | "status" | "owner" | "group", string | null>], IdentityRow>;
    liveOwned: Statement<[string], string>;
    insertIdentity: Statement<unknown[]>;
    setStatus: Statement<[IdentityStatus, string, string]>;
    setFields: Statement<[string | null, string | null, string, string, string, string | null, string, string]>;
    setNotBefore: Statement<[string, string | null, string, string]>;
    credential: Statement<[string], CredentialRow | undefined>;
    credentialsOf: Statement<[string], CredentialInfo>;
    activeKeysOf: Statement<[string], string>;
    insertCredential: Statement<[string, string, CredentialKind, Buffer | null, string, string | null, string | null]>;
    task: Statement<[string], TaskRow | undefined>;
    insertTask: Statement<[string, string, string]>;
    completeTask: Statement<[string, string, string]>;
    credentialsOfTask: Statement<[string], CredentialInfo>;
    revokeTask: Statement<[string, string]>;
    rotateKey: Statement<[string, string, string, string]>;
    revokeCredential: Statement<[string, string]>;
    revokeAllOf: Statement<[string, string]>;
  };

  private readonly changes: ChangeCounter;

  constructor(db: SqliteDatabase) {
    this.changes = changeCounterOf(db);
    this.stmt = {
      identity: db.prepare(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE id = ?`),
      holder: db.prepare(`${HOLDER_SELECT} FROM identities i LEFT JOIN identities o ON o.id = i.owner WHERE i.id = ?`),
      credentialHolder: db.prepare(CREDENTIAL_HOLDER_SQL),
      list: db.prepare(
        `SELECT ${IDENTITY_COLUMNS} FROM identities
         WHERE (@type IS NULL OR type = @type) AND (@status IS NULL OR status = @status) AND (@owner IS NULL OR owner = @owner)
           AND (@group IS NULL OR EXISTS (SELECT 1 FROM json_each(groups) WHERE value = @group))
         ORDER BY id`,
      ),
      liveOwned: db
        .prepare<[string], string>(
          "SELECT id FROM identities WHERE owner = ? AND type != 'human' AND status IN ('active', 'suspended') ORDER BY id",
        )
        .pluck(),
      insertIdentity: db.prepare(
        `INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
      ),
      setStatus: db.prepare("UPDATE identities SET status = ?, updated_at = ? WHERE id = ?"),
      setFields: db.prepare(
        "UPDATE identities SET owner = ?, display_name = ?, groups = ?, roles = ?, attributes = ?, assertion_scope = ?, updated_at = ? WHERE id = ?",
      ),
      setNotBefore: db.prepare(
        "UPDATE identities SET credentials_not_before = ?, credentials_grace_until = ?, updated_at = ? WHERE id = ?",
      ),
      credential: db.prepare(`SELECT ${CREDENTIAL_COLUMNS}, secret_hash FROM credentials WHERE id = ?`),
      credentialsOf: db.prepare(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE identity_id = ? ORDER BY created_at, id`),
      activeKeysOf: db
        .prepare<[string], string>("SELECT id FROM credentials WHERE identity_id = ? AND kind = 'api_key' AND status = 'active' ORDER BY id")
        .pluck(),
      insertCredential: db.prepare(
        `INSERT INTO credentials (id, identity_id, kind, secret_hash, status, created_at, expires_at, task)
         VALUES (?, ?, ?, ?, 'active', ?, ?, ?)`,
      ),
      task: db.prepare("SELECT id, owner, created_at, completed_at, completed_by FROM tasks WHERE id = ?"),
      insertTask: db.prepare("INSERT INTO tasks (id, owner, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING"),
      completeTask: db.prepare("UPDATE tasks SET completed_at = ?, completed_by = ? WHERE id = ? AND completed_at IS NULL"),
      credentialsOfTask: db.prepare(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE task = ? ORDER BY created_at, id`),
      revokeTask: db.prepare("UPDATE credentials SET status = 'revoked', revoked_at = ? WHERE task = ? AND status != 'revoked'"),
      rotateKey: db.prepare(
        "UPDATE credentials SET status = 'rotated', rotated_at = ?, expires_at = ?, replaced_by = ? WHERE id = ? AND status = 'active'",
      ),
      revokeCredential: db.prepare("UPDATE credentials SET status = 'revoked', revoked_at = ? WHERE id = ? AND status != 'revoked'"),
      revokeAllOf: db.prepare(
        "UPDATE credentials SET status = 'revoked', revoked_at = ? WHERE identity_id = ? AND status != 'revoked'",
      ),
    };
  }

  /** Changes so far, this process's and any other connection's (see ChangeCounter). */
  changeVersion(): number {
    return this.changes.version();
  }

  identity(id: string): Identity | undefined {
    const row = this.stmt.identity.get(id);
    return row && toIdentity(row);
  }

  /** The identity with its owner's type and status, in one read. */
  holder(id: string): Holder | undefined {
    const row = this.stmt.holder.get(id);
    return row && toHolder(row);
  }

  /** A credential with its identity and that identity's owner, in one read; holder is undefined if the identity is gone. */
  credentialWithHolder(id: string): { credential: CredentialRow; holder: Holder | undefined; taskCompletedAt: string | null } | undefined {
    const row = this.stmt.credentialHolder.get(id);
    if (row === undefined) return undefined;
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

  list(filter: ListFilter): Identity[] {
    const params = { type: filter.type ?? null, status: filter.status ?? null, owner: filter.owner ?? null, group: filter.group ?? null };
    return this.stmt.list.all(params).map(toIdentity);
  }

  /** Non-human identities owned by `owner` that can act or come back (active or suspended). */
  liveOwned(owner: string): string[] {
    return this.stmt.liveOwned.all(owner);
  }

  insertIdentity(identity: Identity): void {
    this.changes.bump();
    this.stmt.insertIdentity.run(identity.id, identity.type, identity.owner, identity.status, identity.display_name,
      JSON.stringify(identity.groups), JSON.stringify(identity.roles), JSON.stringify(identity.attributes),
      scopeText(identity), identity.created_at, identity.updated_at);
  }

  setStatus(id: string, status: IdentityStatus, at: string): void {
    this.changes.bump();
    this.stmt.setStatus.run(status, at, id);
  }

  setFields(identity: Identity): void {
    this.changes.bump();
    this.stmt.setFields.run(identity.owner, identity.display_name, JSON.stringify(identity.groups), JSON.stringify(identity.roles),
      JSON.stringify(identity.attributes), scopeText(identity), identity.updated_at, identity.id);
  }

  setNotBefore(id: string, notBefore: string, graceUntil: string | null, at: string): void {
    this.changes.bump();
    this.stmt.setNotBefore.run(notBefore, graceUntil, at, id);
  }

  credential(id: string): CredentialRow | undefined {
    return this.stmt.credential.get(id);
  }

  credentialsOf(identityId: string): CredentialInfo[] {
    return this.stmt.credentialsOf.all(identityId);
  }

  activeKeysOf(identityId: string): string[] {
    return this.stmt.activeKeysOf.all(identityId);
  }

  insertCredential(c: NewCredential): void {
    this.changes.bump();
    this.stmt.insertCredential.run(c.id, c.identityId, c.kind, c.secretHash, c.createdAt, c.expiresAt, c.task ?? null);
  }

  task(id: string): TaskRow | undefined {
    return this.stmt.task.get(id);
  }

  /** Creates the task with its owner unless it exists (its first owner stays). */
  insertTask(id: string, owner: string, at: string): void {
    this.stmt.insertTask.run(id, owner, at);
  }

  credentialsOfTask(task: string): CredentialInfo[] {
    return this.stmt.credentialsOfTask.all(task);
  }

  /** Marks the task completed and revokes its credentials; false when it was already completed. */
  completeTask(id: string, at: string, by: string): boolean {
    this.changes.bump();
    if (this.stmt.completeTask.run(at, by, id).changes === 0) return false;
    this.stmt.revokeTask.run(at, id);
    return true;
  }

  /** Marks an active API key rotated; it stays usable until `validUntil`. */
  rotateKey(id: string, at: string, validUntil: string, replacedBy: string): void {
    this.changes.bump();
    this.stmt.rotateKey.run(at, validUntil, replacedBy, id);
  }

  revokeCredential(id: string, at: string): boolean {
    this.changes.bump();
    return this.stmt.revokeCredential.run(at, id).changes > 0;
  }

  revokeAllOf(identityId: string, at: string): void {
    this.changes.bump();
    this.stmt.revokeAllOf.run(at, identityId);
  }
}

