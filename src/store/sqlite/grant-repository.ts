// The grants table in SQLite: GrantRepository's reads, and the grant effects the ledger's commit applies.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/index.js";
import type { CallBinding } from "../contracts/call-binding.js";
import type { Grant, GrantFilter, GrantRepository, NewGrant } from "../contracts/grants.js";
import type { SqliteDatabase } from "./database.js";
import { grantFromRow as fromRow, type GrantRow } from "../rows/grant-row.js";

const BINDING = "subject_id = ? AND action = ? AND resource_type = ? AND resource_id = ? AND args_digest = ?";

export class SqliteGrants implements GrantRepository {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    get: Statement<[string], GrantRow | undefined>;
    usable: Statement<[string, string, string, string, string, string], GrantRow | undefined>;
    expired: Statement<[string, string, string, string, string, string], GrantRow | undefined>;
    insert: Statement<unknown[]>;
    consume: Statement<[string, string]>;
    revoke: Statement<[string]>;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      get: db.prepare("SELECT * FROM grants WHERE id = ?"),
      usable: db.prepare(`SELECT * FROM grants WHERE ${BINDING} AND state = 'issued' AND uses_remaining > 0 AND expires_at > ?
        ORDER BY created_at LIMIT 1`),
      expired: db.prepare(`SELECT * FROM grants WHERE ${BINDING} AND state = 'issued' AND uses_remaining > 0 AND expires_at <= ?
        ORDER BY expires_at DESC LIMIT 1`),
      insert: db.prepare(`INSERT INTO grants (id, approval_id, subject_id, subject_type, action, resource_type, resource_id,
        args_digest, uses_remaining, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'issued', ?, ?)`),
      consume: db.prepare(`UPDATE grants SET uses_remaining = uses_remaining - 1,
        state = CASE WHEN uses_remaining = 1 THEN 'used' ELSE state END
        WHERE id = ? AND state = 'issued' AND uses_remaining > 0 AND expires_at > ?`),
      revoke: db.prepare("UPDATE grants SET state = 'revoked' WHERE id = ? AND state = 'issued'"),
    };
  }

  get(id: string): Grant | undefined {
    const row = this.stmt.get.get(id);
    return row && fromRow(row);
  }

  /** An issued grant for exactly this call with a use left and time left. */
  usableFor(binding: CallBinding, now: Date): Grant | undefined {
    const row = this.stmt.usable.get(binding.subjectId, binding.action, binding.resourceType, binding.resourceId, binding.argsDigest, now.toISOString());
    return row && fromRow(row);
  }

  /** The most recent grant for this call that ran out of time with uses left (GRANT_EXPIRED). */
  expiredFor(binding: CallBinding, now: Date): Grant | undefined {
    const row = this.stmt.expired.get(binding.subjectId, binding.action, binding.resourceType, binding.resourceId, binding.argsDigest, now.toISOString());
    return row && fromRow(row);
  }

  /** Newest first; `state` as grantView shows it at `now`: an issued grant past its expiry is "expired". */
  list(filter: GrantFilter): Grant[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.subjectId) {
      where.push("subject_id = ?");
      params.push(filter.subjectId);
    }
    if (filter.state) {
      const now = (filter.now ?? new Date()).toISOString();
      // Expiry is not written back to the row, so the stored state of an expired grant is still issued.
      if (filter.state === "issued") where.push("state = 'issued' AND julianday(expires_at) > julianday(?)");
      else if (filter.state === "expired") where.push("(state = 'expired' OR (state = 'issued' AND julianday(expires_at) <= julianday(?)))");
      else where.push("state = ?");
      params.push(filter.state === "issued" || filter.state === "expired" ? now : filter.state);
    }
    const sql = `SELECT * FROM grants ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC LIMIT ?`;
    return this.db.prepare<unknown[], GrantRow>(sql).all(...params, filter.limit).map(fromRow);
  }

  insert(grant: NewGrant): void {
    this.stmt.insert.run(grant.id, grant.approvalId, grant.subjectId, grant.subjectType, grant.action, grant.resourceType, grant.resourceId,
      grant.argsDigest, grant.usesRemaining, grant.createdAt, grant.expiresAt);
  }

  /** Takes one use; refuses (CONFLICT) when a concurrent call took the last one or time ran out. */
  consume(id: string, at: string): void {
    if (this.stmt.consume.run(id, at).changes !== 1) {
      throw new ArbiterError("CONFLICT", `grant ${id} has no use left`, { id });
    }
  }

  revoke(id: string): void {
    if (this.stmt.revoke.run(id).changes !== 1) throw new ArbiterError("CONFLICT", `grant ${id} is not active`, { id });
  }
}
