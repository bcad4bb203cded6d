// The grants table in PostgreSQL: GrantRepository's reads, and the grant effects the ledger's commit applies.
import { ArbiterError } from "../../record/index.js";
import type { CallBinding } from "../contracts/call-binding.js";
import type { Grant, GrantFilter, GrantRepository, NewGrant } from "../contracts/grants.js";
import type { PgConnection } from "./connection.js";
import { noLimitBelowZero } from "./limit.js";
import { grantFromRow as fromRow, type GrantRow } from "../rows/grant-row.js";

const BINDING = "subject_id = $1 AND action = $2 AND resource_type = $3 AND resource_id = $4 AND args_digest = $5";

const bindingParams = (b: CallBinding): string[] => [b.subjectId, b.action, b.resourceType, b.resourceId, b.argsDigest];

const USABLE = `SELECT * FROM grants WHERE ${BINDING} AND state = 'issued' AND uses_remaining > 0 AND expires_at > $6 ORDER BY created_at LIMIT 1`;
const EXPIRED = `SELECT * FROM grants WHERE ${BINDING} AND state = 'issued' AND uses_remaining > 0 AND expires_at <= $6 ORDER BY expires_at DESC LIMIT 1`;
const INSERT = `INSERT INTO grants (id, approval_id, subject_id, subject_type, action, resource_type, resource_id, args_digest, uses_remaining,
  state, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10, $11)`;
// One conditional statement: PostgreSQL re-checks the WHERE on the row a concurrent transaction
// just committed, so two replicas can never both take the last use (the loser gets no row back).
const CONSUME = `UPDATE grants SET uses_remaining = uses_remaining - 1, state = CASE WHEN uses_remaining = 1 THEN 'used' ELSE state END
  WHERE id = $1 AND state = 'issued' AND uses_remaining > 0 AND expires_at > $2 RETURNING id`;
const REVOKE = "UPDATE grants SET state = 'revoked' WHERE id = $1 AND state = 'issued' RETURNING id";

export class PgGrants implements GrantRepository {
  constructor(private readonly conn: PgConnection) {}

  get(id: string): Grant | undefined {
    const [row] = this.conn.query<GrantRow>("SELECT * FROM grants WHERE id = $1", [id]);
    return row && fromRow(row);
  }

  /** An issued grant for exactly this call with a use left and time left. */
  usableFor(binding: CallBinding, now: Date): Grant | undefined {
    const [row] = this.conn.query<GrantRow>(USABLE, [...bindingParams(binding), now.toISOString()]);
    return row && fromRow(row);
  }

  /** The most recent grant for this call that ran out of time with uses left (GRANT_EXPIRED). */
  expiredFor(binding: CallBinding, now: Date): Grant | undefined {
    const [row] = this.conn.query<GrantRow>(EXPIRED, [...bindingParams(binding), now.toISOString()]);
    return row && fromRow(row);
  }

  /** Newest first; `state` as grantView shows it at `now`: an issued grant past its expiry is "expired". */
  list(filter: GrantFilter): Grant[] {
    const where: string[] = [];
    const params: (string | number | null)[] = [];
    const param = (value: string | number | null): string => `$${params.push(value)}`;
    if (filter.subjectId) where.push(`subject_id = ${param(filter.subjectId)}`);
    if (filter.state) {
      const now = (filter.now ?? new Date()).toISOString();
      // Expiry is not written back to the row, so the stored state of an expired grant is still
      // issued. Compared as instants, as SQLite's julianday() compares them.
      if (filter.state === "issued") where.push(`state = 'issued' AND expires_at::timestamptz > ${param(now)}::timestamptz`);
      else if (filter.state === "expired") where.push(`(state = 'expired' OR (state = 'issued' AND expires_at::timestamptz <= ${param(now)}::timestamptz))`);
      else where.push(`state = ${param(filter.state)}`);
    }
    const sql = `SELECT * FROM grants ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC LIMIT ${param(noLimitBelowZero(filter.limit))}`;
    return this.conn.query<GrantRow>(sql, params).map(fromRow);
  }

  insert(grant: NewGrant): void {
    this.conn.query(INSERT, [grant.id, grant.approvalId, grant.subjectId, grant.subjectType, grant.action, grant.resourceType, grant.resourceId,
      grant.argsDigest, grant.usesRemaining, grant.createdAt, grant.expiresAt]);
  }

  /** Takes one use; refuses (CONFLICT) when a concurrent call took the last one or time ran out. */
  consume(id: string, at: string): void {
    if (this.conn.query(CONSUME, [id, at]).length !== 1) {
      throw new ArbiterError("CONFLICT", `grant ${id} has no use left`, { id });
    }
  }

  revoke(id: string): void {
    if (this.conn.query(REVOKE, [id]).length !== 1) throw new ArbiterError("CONFLICT", `grant ${id} is not active`, { id });
  }
}
