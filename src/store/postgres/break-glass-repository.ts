// The break-glass sessions in PostgreSQL: BreakGlassRepository's reads, and the session effects the ledger's commit applies.
import { ArbiterError } from "../../record/index.js";
import type { BreakGlassFilter, BreakGlassRepository, BreakGlassSession, NewBreakGlassSession } from "../contracts/break-glass.js";
import type { PgConnection } from "./connection.js";
import { noLimitBelowZero } from "./limit.js";
import { inOneTransaction } from "./one-transaction.js";
import { sessionFromRow as fromRow, type SessionRow } from "../rows/break-glass-row.js";

const ACTIVE = "SELECT * FROM break_glass WHERE identity_id = $1 AND ended_at IS NULL AND expires_at > $2 ORDER BY started_at DESC LIMIT 1";

/**
 * Serialises the openings of one identity's sessions across replicas until the transaction ends:
 * no row or constraint can say "no other session open at this time", so without it two replicas
 * could each find none open and both insert one.
 */
const LOCK_IDENTITY = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/arbiter.break_glass'), hashtext($1))";
const INSERT_UNLESS_OPEN = `INSERT INTO break_glass (id, identity_id, justification, started_at, expires_at)
  SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM break_glass WHERE identity_id = $2 AND ended_at IS NULL AND expires_at > $4)`;

export class PgBreakGlass implements BreakGlassRepository {
  constructor(private readonly conn: PgConnection) {}

  get(id: string): BreakGlassSession | undefined {
    const [row] = this.conn.query<SessionRow>("SELECT * FROM break_glass WHERE id = $1", [id]);
    return row && fromRow(row);
  }

  activeFor(identityId: string, now: Date): BreakGlassSession | undefined {
    const [row] = this.conn.query<SessionRow>(ACTIVE, [identityId, now.toISOString()]);
    return row && fromRow(row);
  }

  list(filter: BreakGlassFilter): BreakGlassSession[] {
    const where: string[] = [];
    const params: (string | number | null)[] = [];
    const param = (value: string | number | null): string => `$${params.push(value)}`;
    if (filter.unreviewed) where.push("reviewed_at IS NULL");
    if (filter.identityId) where.push(`identity_id = ${param(filter.identityId)}`);
    const sql = `SELECT * FROM break_glass ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC LIMIT ${param(noLimitBelowZero(filter.limit))}`;
    return this.conn.query<SessionRow>(sql, params).map(fromRow);
  }

  /**
   * Opens the session inside the commit of its decision record (the effect break_glass.open). The flow checked for an open session
   * before it decided; checking again here, in the write transaction and under the identity's lock,
   * is what stops two concurrent starts (two replicas, or two requests in one) from both opening one.
   * The insert is conditional rather than refused, so the transaction stays usable until it throws.
   */
  open(session: NewBreakGlassSession): void {
    const [, [open]] = inOneTransaction(this.conn, [
      { text: LOCK_IDENTITY, values: [session.identityId] },
      { text: ACTIVE, values: [session.identityId, session.startedAt] },
      { text: INSERT_UNLESS_OPEN, values: [session.id, session.identityId, session.justification, session.startedAt, session.expiresAt] },
    ]) as [unknown[], SessionRow[]];
    if (open) throw new ArbiterError("CONFLICT", `${session.identityId} already has break-glass session ${open.id} open`, { session_id: open.id });
  }

  use(id: string): void {
    this.conn.query("UPDATE break_glass SET decision_count = decision_count + 1 WHERE id = $1", [id]);
  }

  end(id: string, at: string): void {
    if (this.conn.query("UPDATE break_glass SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL RETURNING id", [at, id]).length !== 1) {
      throw new ArbiterError("CONFLICT", `break-glass session ${id} has already ended`, { id });
    }
  }

  review(id: string, at: string, reviewer: string, note: string): void {
    const reviewed = this.conn.query("UPDATE break_glass SET reviewed_at = $1, reviewer = $2, review_note = $3 WHERE id = $4 AND reviewed_at IS NULL RETURNING id", [at, reviewer, note, id]);
    if (reviewed.length !== 1) {
      throw new ArbiterError("CONFLICT", `break-glass session ${id} does not exist or was already reviewed`, { id });
    }
  }
}
