// The identity tables in SQLite: IdentityRepository's reads, and the identity effects the ledger's commit applies.
// Nothing here caches state: another process may change a row at any moment and every read must see it.
// Every write bumps the connection's change counter, so that caches of what these rows say (the operator
// credentials a server remembers) are dropped by the next lookup.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/index.js";
import type { IdentityEffect } from "../contracts/identities.js";
import type {
  CredentialInfo,
  CredentialRow,
  CredentialWithHolder,
  Holder,
  Identity,
  IdentityFilter,
  IdentityRepository,
  IdentityStatus,
  NewCredential,
  TaskRow,
} from "../contracts/identities.js";
import { changeCounterOf, type ChangeCounter } from "./change-counter.js";
import type { SqliteDatabase } from "./database.js";
import {
  CREDENTIAL_COLUMNS,
  CREDENTIAL_HOLDER_SQL,
  HOLDER_SELECT,
  IDENTITY_COLUMNS,
  scopeText,
  toHolder,
  toIdentity,
  type CredentialHolderRow,
  type HolderRow,
  type IdentityRow,
  toCredentialWithHolder,
} from "../rows/identity-rows.js";

type Filter = Record<"type" | "status" | "owner" | "group", string | null>;

function conflict(message: string, details: Record<string, unknown>): ArbiterError {
  return new ArbiterError("CONFLICT", message, details);
}

export class SqliteIdentities implements IdentityRepository {
  private readonly stmt: {
    identity: Statement<[string], IdentityRow | undefined>;
    holder: Statement<[string], HolderRow | undefined>;
    credentialHolder: Statement<[string], CredentialHolderRow | undefined>;
    list: Statement<[Filter], IdentityRow>;
    liveOwned: Statement<[string], string>;
    insertIdentity: Statement<unknown[]>;
    setStatus: Statement<[IdentityStatus, string, string, IdentityStatus]>;
    setFields: Statement<[string | null, string | null, string, string, string, string | null, string, string]>;
    setNotBefore: Statement<[string, string | null, string, string]>;
    credential: Statement<[string], CredentialRow | undefined>;
    credentialsOf: Statement<[string], CredentialInfo>;
    activeKeysOf: Statement<[string], string>;
    insertCredential: Statement<unknown[]>;
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
        `INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      setStatus: db.prepare("UPDATE identities SET status = ?, updated_at = ? WHERE id = ? AND status = ?"),
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

  changeVersion(): number {
    return this.changes.version();
  }

  identity(id: string): Identity | undefined {
    const row = this.stmt.identity.get(id);
    return row && toIdentity(row);
  }

  holder(id: string): Holder | undefined {
    const row = this.stmt.holder.get(id);
    return row && toHolder(row);
  }

  credentialWithHolder(id: string): CredentialWithHolder | undefined {
    const row = this.stmt.credentialHolder.get(id);
    return row && toCredentialWithHolder(row);
  }

  list(filter: IdentityFilter): Identity[] {
    const params = { type: filter.type ?? null, status: filter.status ?? null, owner: filter.owner ?? null, group: filter.group ?? null };
    return this.stmt.list.all(params).map(toIdentity);
  }

  liveOwned(owner: string): string[] {
    return this.stmt.liveOwned.all(owner);
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

  task(id: string): TaskRow | undefined {
    return this.stmt.task.get(id);
  }

  credentialsOfTask(task: string): CredentialInfo[] {
    return this.stmt.credentialsOfTask.all(task);
  }

  /** Applies one identity effect; only inside the ledger's write transaction (SqliteEffects). */
  apply(effect: IdentityEffect): void {
    // Conservative: a bump in a transaction that then rolls back only costs a cache miss.
    if (effect.type !== "identity.expect" && effect.type !== "identity.owns_none") this.changes.bump();
    switch (effect.type) {
      case "identity.insert":
        return this.insertIdentity(effect.identity);
      case "identity.expect": {
        const found = this.identity(effect.id);
        if (found?.status !== effect.status || found.updated_at !== effect.updatedAt) {
          throw conflict(`identity ${effect.id} changed while being updated; try again`, { id: effect.id });
        }
        return;
      }
      case "identity.owns_none": {
        const owned = this.liveOwned(effect.owner);
        if (owned.length > 0) throw conflict(`${effect.owner} came to own ${owned.join(", ")} meanwhile; transfer it first`, { id: effect.owner, owned });
        return;
      }
      case "identity.update": {
        const i = effect.identity;
        this.stmt.setFields.run(i.owner, i.display_name, JSON.stringify(i.groups), JSON.stringify(i.roles), JSON.stringify(i.attributes), scopeText(i), i.updated_at, i.id);
        return;
      }
      case "identity.set_status":
        if (this.stmt.setStatus.run(effect.status, effect.at, effect.id, effect.from).changes === 0) {
          throw conflict(`identity ${effect.id} changed while being updated; try again`, { id: effect.id });
        }
        if (effect.revokeCredentials) this.stmt.revokeAllOf.run(effect.at, effect.id);
        return;
      case "credential.insert":
        return this.insertCredential(effect.credential);
      case "credential.revoke":
        if (this.stmt.revokeCredential.run(effect.at, effect.id).changes === 0) {
          throw conflict(`credential ${effect.id} is already revoked`, { credentialId: effect.id });
        }
        return;
      case "api_key.rotate":
        return this.rotate(effect);
      case "task.open": {
        const task = this.task(effect.id);
        if (task?.completed_at != null) {
          throw conflict(`task ${effect.id} was completed at ${task.completed_at}; a completed task gets no new token`, { task: effect.id, reason_code: "TASK_COMPLETED" });
        }
        this.stmt.insertTask.run(effect.id, effect.owner, effect.at);
        return;
      }
      case "task.complete":
        return this.complete(effect);
    }
  }

  private insertIdentity(identity: Identity): void {
    const inserted = this.stmt.insertIdentity.run(identity.id, identity.type, identity.owner, identity.status, identity.display_name,
      JSON.stringify(identity.groups), JSON.stringify(identity.roles), JSON.stringify(identity.attributes),
      scopeText(identity), identity.created_at, identity.updated_at);
    if (inserted.changes === 0) throw conflict(`identity ${identity.id} already exists`, { id: identity.id });
  }

  private insertCredential(c: NewCredential): void {
    this.stmt.insertCredential.run(c.id, c.identityId, c.kind, c.secretHash, c.createdAt, c.expiresAt, c.task ?? null);
  }

  private rotate(effect: Extract<IdentityEffect, { type: "api_key.rotate" }>): void {
    if (this.activeKeysOf(effect.identityId).join() !== effect.replaced.join()) {
      throw conflict(`the keys of ${effect.identityId} changed while rotating them; run the rotation again`, { id: effect.identityId });
    }
    for (const old of effect.replaced) this.stmt.rotateKey.run(effect.at, effect.validUntil, effect.replacedBy, old);
    this.stmt.setNotBefore.run(effect.at, effect.graceUntil, effect.at, effect.identityId);
  }

  private complete(effect: Extract<IdentityEffect, { type: "task.complete" }>): void {
    if (this.task(effect.id)?.completed_at != null) throw conflict(`task ${effect.id} was completed meanwhile`, { task: effect.id });
    if (this.credentialsOfTask(effect.id).map((c) => c.id).join() !== effect.credentials.join()) {
      throw conflict(`a token was issued for task ${effect.id} while completing it; complete it again`, { task: effect.id });
    }
    this.stmt.completeTask.run(effect.at, effect.by, effect.id);
    this.stmt.revokeTask.run(effect.at, effect.id);
  }
}
