// The identity tables in PostgreSQL: IdentityRepository's reads, and the identity effects the ledger's commit applies.
// Nothing here caches state: another replica may change a row at any moment and every read must see it.
// Each read is one statement; each effect is one round trip, its check and its writes in one statement
// so that the writes happen only when the check holds, whatever the caller does with the CONFLICT.
import { ArbiterError } from "../../record/index.js";
import type {
  CredentialInfo,
  CredentialRow,
  CredentialWithHolder,
  Holder,
  Identity,
  IdentityEffect,
  IdentityFilter,
  IdentityRepository,
  NewCredential,
  TaskRow,
} from "../contracts/identities.js";
import {
  CREDENTIAL_COLUMNS,
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
import type { PgConnection, PgStatement } from "./connection.js";

const CREDENTIAL_HOLDER_SQL = `${HOLDER_SELECT},
    c.id AS c_id, c.identity_id AS c_identity_id, c.kind AS c_kind, c.status AS c_status, c.created_at AS c_created_at,
    c.expires_at AS c_expires_at, c.rotated_at AS c_rotated_at, c.revoked_at AS c_revoked_at, c.replaced_by AS c_replaced_by,
    c.secret_hash AS c_secret_hash, c.task AS c_task, t.completed_at AS c_task_completed_at
  FROM credentials c LEFT JOIN identities i ON i.id = c.identity_id LEFT JOIN identities o ON o.id = i.owner
    LEFT JOIN tasks t ON t.id = c.task
  WHERE c.id = $1`;

const LIVE_OWNED = "SELECT id FROM identities WHERE owner = $1 AND type != 'human' AND status IN ('active', 'suspended') ORDER BY id";

/**
 * changeVersion() reads a table-backed counter (identity_changes, one row) that every identity-writing
 * effect and every policy activation raises in the transaction that writes, so the raise commits or
 * rolls back with the change and a reader on any replica sees it on its first call after the commit,
 * never before. LISTEN/NOTIFY
 * would save that read but cannot promise as much: a notification reaches a listener some time after
 * the commit, so a credential revoked on one replica could pass another's cache in between. A
 * sequence (nextval) would not do either: it moves before the commit, so a reader could cache the old
 * state under the new number. The read is one primary-key lookup, one round trip per authentication.
 */
export const RAISE_CHANGE_COUNTER: PgStatement = { text: "UPDATE identity_changes SET version = version + 1 WHERE id = 1" };

function conflict(message: string, details: Record<string, unknown>): ArbiterError {
  return new ArbiterError("CONFLICT", message, details);
}

export class PgIdentities implements IdentityRepository {
  private seenCounter = -1;
  private seq = 0;

  constructor(private readonly conn: PgConnection) {}

  /**
   * The counter's value goes back down when a transaction that raised it rolls back, so the number
   * answered is a local sequence that moves whenever the value read differs from the last one seen:
   * it never repeats an earlier answer, as the contract asks.
   */
  changeVersion(): number {
    const [row] = this.conn.query<{ version: number }>("SELECT version FROM identity_changes WHERE id = 1");
    const counter = row?.version ?? 0;
    if (counter !== this.seenCounter) {
      this.seenCounter = counter;
      this.seq++;
    }
    return this.seq;
  }

  identity(id: string): Identity | undefined {
    const [row] = this.conn.query<IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM identities WHERE id = $1`, [id]);
    return row && toIdentity(row);
  }

  holder(id: string): Holder | undefined {
    const [row] = this.conn.query<HolderRow>(`${HOLDER_SELECT} FROM identities i LEFT JOIN identities o ON o.id = i.owner WHERE i.id = $1`, [id]);
    return row && toHolder(row);
  }

  credentialWithHolder(id: string): CredentialWithHolder | undefined {
    const [row] = this.conn.query<CredentialHolderRow>(CREDENTIAL_HOLDER_SQL, [id]);
    return row && toCredentialWithHolder(row);
  }

  list(filter: IdentityFilter): Identity[] {
    const rows = this.conn.query<IdentityRow>(
      `SELECT ${IDENTITY_COLUMNS} FROM identities
       WHERE ($1::text IS NULL OR type = $1) AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR owner = $3)
         AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements_text(groups::jsonb) AS g (value) WHERE g.value = $4))
       ORDER BY id`,
      [filter.type ?? null, filter.status ?? null, filter.owner ?? null, filter.group ?? null],
    );
    return rows.map(toIdentity);
  }

  liveOwned(owner: string): string[] {
    return this.conn.query<{ id: string }>(LIVE_OWNED, [owner]).map((r) => r.id);
  }

  credential(id: string): CredentialRow | undefined {
    const [row] = this.conn.query<CredentialRow>(`SELECT ${CREDENTIAL_COLUMNS}, secret_hash FROM credentials WHERE id = $1`, [id]);
    return row;
  }

  credentialsOf(identityId: string): CredentialInfo[] {
    return this.conn.query<CredentialInfo>(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE identity_id = $1 ORDER BY created_at, id`, [identityId]);
  }

  activeKeysOf(identityId: string): string[] {
    return this.conn
      .query<{ id: string }>("SELECT id FROM credentials WHERE identity_id = $1 AND kind = 'api_key' AND status = 'active' ORDER BY id", [identityId])
      .map((r) => r.id);
  }

  task(id: string): TaskRow | undefined {
    const [row] = this.conn.query<TaskRow>("SELECT id, owner, created_at, completed_at, completed_by FROM tasks WHERE id = $1", [id]);
    return row;
  }

  credentialsOfTask(task: string): CredentialInfo[] {
    return this.conn.query<CredentialInfo>(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE task = $1 ORDER BY created_at, id`, [task]);
  }

  /** Applies one identity effect; only inside the ledger's write transaction (the effects dispatcher). */
  apply(effect: IdentityEffect): void {
    switch (effect.type) {
      case "identity.insert":
        return this.insertIdentity(effect.identity);
      case "identity.expect": {
        // FOR UPDATE: a writer that is not serialized with this one waits, and the row is read again after it commits.
        const found = this.conn.query("SELECT 1 FROM identities WHERE id = $1 AND status = $2 AND updated_at = $3 FOR UPDATE", [
          effect.id,
          effect.status,
          effect.updatedAt,
        ]);
        if (found.length === 0) throw conflict(`identity ${effect.id} changed while being updated; try again`, { id: effect.id });
        return;
      }
      case "identity.owns_none": {
        const owned = this.liveOwned(effect.owner);
        if (owned.length > 0) throw conflict(`${effect.owner} came to own ${owned.join(", ")} meanwhile; transfer it first`, { id: effect.owner, owned });
        return;
      }
      case "identity.update": {
        const i = effect.identity;
        this.write({
          text: `UPDATE identities SET owner = $1, display_name = $2, groups = $3, roles = $4, attributes = $5, assertion_scope = $6, updated_at = $7
                 WHERE id = $8`,
          values: [i.owner, i.display_name, JSON.stringify(i.groups), JSON.stringify(i.roles), JSON.stringify(i.attributes), scopeText(i), i.updated_at, i.id],
        });
        return;
      }
      case "identity.set_status":
        return this.setStatus(effect);
      case "credential.insert":
        return this.insertCredential(effect.credential);
      case "credential.revoke": {
        const revoked = this.write({
          text: "UPDATE credentials SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status != 'revoked' RETURNING id",
          values: [effect.at, effect.id],
        });
        if (revoked.length === 0) throw conflict(`credential ${effect.id} is already revoked`, { credentialId: effect.id });
        return;
      }
      case "api_key.rotate":
        return this.rotate(effect);
      case "task.open":
        return this.openTask(effect);
      case "task.complete":
        return this.complete(effect);
    }
  }

  /** Raises the change counter and runs `statement` in the same round trip; the statement's rows. */
  private write(statement: PgStatement): unknown[] {
    return this.conn.batch([RAISE_CHANGE_COUNTER, statement])[1] ?? [];
  }

  private insertIdentity(identity: Identity): void {
    const inserted = this.write({
      text: `INSERT INTO identities (${IDENTITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $11)
             ON CONFLICT (id) DO NOTHING RETURNING id`,
      values: [identity.id, identity.type, identity.owner, identity.status, identity.display_name, JSON.stringify(identity.groups),
        JSON.stringify(identity.roles), JSON.stringify(identity.attributes), scopeText(identity), identity.created_at, identity.updated_at],
    });
    if (inserted.length === 0) throw conflict(`identity ${identity.id} already exists`, { id: identity.id });
  }

  private insertCredential(c: NewCredential): void {
    this.write({
      text: `INSERT INTO credentials (id, identity_id, kind, secret_hash, status, created_at, expires_at, task)
             VALUES ($1, $2, $3, $4, 'active', $5, $6, $7)`,
      values: [c.id, c.identityId, c.kind, c.secretHash, c.createdAt, c.expiresAt, c.task ?? null],
    });
  }

  private setStatus(effect: Extract<IdentityEffect, { type: "identity.set_status" }>): void {
    const moved = this.write({
      text: `WITH moved AS (UPDATE identities SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 RETURNING id),
             revoked AS (UPDATE credentials SET status = 'revoked', revoked_at = $2
                         WHERE $5 AND identity_id IN (SELECT id FROM moved) AND status != 'revoked')
             SELECT id FROM moved`,
      values: [effect.status, effect.at, effect.id, effect.from, effect.revokeCredentials],
    });
    if (moved.length === 0) throw conflict(`identity ${effect.id} changed while being updated; try again`, { id: effect.id });
  }

  private rotate(effect: Extract<IdentityEffect, { type: "api_key.rotate" }>): void {
    // ok: the active keys are exactly `replaced`; rotated counts the keys still active when updated
    // (fewer when another rotation committed in between, which a serialized writer never sees).
    const [row] = this.write({
      text: `WITH active AS (SELECT coalesce(array_agg(id ORDER BY id), '{}') AS ids FROM credentials
                             WHERE identity_id = $1 AND kind = 'api_key' AND status = 'active'),
             ok AS (SELECT 1 FROM active WHERE ids = $2::text[]),
             rotated AS (UPDATE credentials SET status = 'rotated', rotated_at = $3, expires_at = $4, replaced_by = $5
                         WHERE id = ANY ($2::text[]) AND status = 'active' AND EXISTS (SELECT 1 FROM ok) RETURNING id),
             marked AS (UPDATE identities SET credentials_not_before = $3, credentials_grace_until = $6, updated_at = $3
                        WHERE id = $1 AND EXISTS (SELECT 1 FROM ok))
             SELECT (SELECT count(*) FROM ok)::int AS ok, (SELECT count(*) FROM rotated)::int AS rotated`,
      values: [effect.identityId, [...effect.replaced], effect.at, effect.validUntil, effect.replacedBy, effect.graceUntil],
    }) as [{ ok: number; rotated: number }];
    if (row.ok === 0 || row.rotated !== effect.replaced.length) {
      throw conflict(`the keys of ${effect.identityId} changed while rotating them; run the rotation again`, { id: effect.identityId });
    }
  }

  private openTask(effect: Extract<IdentityEffect, { type: "task.open" }>): void {
    // The first owner stays; a completed task is refused, and this transaction rolls back with the refusal.
    const [task] = this.write({
      text: `WITH found AS (SELECT completed_at FROM tasks WHERE id = $1),
             created AS (INSERT INTO tasks (id, owner, created_at) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM found)
                         ON CONFLICT (id) DO NOTHING)
             SELECT completed_at FROM found`,
      values: [effect.id, effect.owner, effect.at],
    }) as Array<{ completed_at: string | null }>;
    if (task?.completed_at != null) {
      throw conflict(`task ${effect.id} was completed at ${task.completed_at}; a completed task gets no new token`, { task: effect.id, reason_code: "TASK_COMPLETED" });
    }
  }

  private complete(effect: Extract<IdentityEffect, { type: "task.complete" }>): void {
    // As in the embedded store, a task that does not exist completes as a no-op when it has no credentials either.
    const [row] = this.write({
      text: `WITH found AS (SELECT completed_at FROM tasks WHERE id = $1),
             issued AS (SELECT coalesce(array_agg(id ORDER BY created_at, id), '{}') AS ids FROM credentials WHERE task = $1),
             ok AS (SELECT 1 FROM issued WHERE ids = $4::text[] AND NOT EXISTS (SELECT 1 FROM found WHERE completed_at IS NOT NULL)),
             done AS (UPDATE tasks SET completed_at = $2, completed_by = $3 WHERE id = $1 AND completed_at IS NULL AND EXISTS (SELECT 1 FROM ok)
                      RETURNING id),
             revoked AS (UPDATE credentials SET status = 'revoked', revoked_at = $2 WHERE task = $1 AND status != 'revoked' AND EXISTS (SELECT 1 FROM ok))
             SELECT (SELECT count(*) FROM found WHERE completed_at IS NOT NULL)::int AS completed, (SELECT count(*) FROM ok)::int AS ok,
                    (SELECT count(*) FROM found)::int - (SELECT count(*) FROM done)::int AS missed`,
      values: [effect.id, effect.at, effect.by, [...effect.credentials]],
    }) as [{ completed: number; ok: number; missed: number }];
    if (row.completed > 0 || (row.ok > 0 && row.missed > 0)) throw conflict(`task ${effect.id} was completed meanwhile`, { task: effect.id });
    if (row.ok === 0) throw conflict(`a token was issued for task ${effect.id} while completing it; complete it again`, { task: effect.id });
  }
}
