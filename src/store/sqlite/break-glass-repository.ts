// The break-glass sessions in SQLite: BreakGlassRepository's reads, and the session effects the ledger's commit applies.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/index.js";
import type { BreakGlassFilter, BreakGlassRepository, BreakGlassSession, NewBreakGlassSession } from "../contracts/break-glass.js";
import type { SqliteDatabase } from "./database.js";
import { sessionFromRow as fromRow, type SessionRow } from "../rows/break-glass-row.js";

export class SqliteBreakGlass implements BreakGlassRepository {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    get: Statement<[string], SessionRow | undefined>;
    active: Statement<[string, string], SessionRow | undefined>;
    insert: Statement<[string, string, string, string, string]>;
    end: Statement<[string, string]>;
    review: Statement<[string, string, string, string]>;
    used: Statement<[string]>;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      get: db.prepare("SELECT * FROM break_glass WHERE id = ?"),
      active: db.prepare("SELECT * FROM break_glass WHERE identity_id = ? AND ended_at IS NULL AND expires_at > ? ORDER BY started_at DESC LIMIT 1"),
      insert: db.prepare("INSERT INTO break_glass (id, identity_id, justification, started_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
      end: db.prepare("UPDATE break_glass SET ended_at = ? WHERE id = ? AND ended_at IS NULL"),
      review: db.prepare("UPDATE break_glass SET reviewed_at = ?, reviewer = ?, review_note = ? WHERE id = ? AND reviewed_at IS NULL"),
      used: db.prepare("UPDATE break_glass SET decision_count = decision_count + 1 WHERE id = ?"),
    };
  }

  get(id: string): BreakGlassSession | undefined {
    const row = this.stmt.get.get(id);
    return row && fromRow(row);
  }

  activeFor(identityId: string, now: Date): BreakGlassSession | undefined {
    const row = this.stmt.active.get(identityId, now.toISOString());
    return row && fromRow(row);
  }

  list(filter: BreakGlassFilter): BreakGlassSession[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (filter.unreviewed) where.push("reviewed_at IS NULL");
    if (filter.identityId) {
      where.push("identity_id = ?");
      params.push(filter.identityId);
    }
    const sql = `SELECT * FROM break_glass ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC LIMIT ?`;
    return this.db.prepare<unknown[], SessionRow>(sql).all(...params, filter.limit).map(fromRow);
  }

  /**
   * Opens the session inside the commit of its decision record (the effect break_glass.open). The flow checked for an open session
   * before it decided; checking again here, in the write transaction, is what stops two concurrent
   * starts (two processes, or two requests in one) from both opening one.
   */
  open(session: NewBreakGlassSession): void {
    const open = this.stmt.active.get(session.identityId, session.startedAt);
    if (open) throw new ArbiterError("CONFLICT", `${session.identityId} already has break-glass session ${open.id} open`, { session_id: open.id });
    this.stmt.insert.run(session.id, session.identityId, session.justification, session.startedAt, session.expiresAt);
  }

  use(id: string): void {
    this.stmt.used.run(id);
  }

  end(id: string, at: string): void {
    if (this.stmt.end.run(at, id).changes !== 1) throw new ArbiterError("CONFLICT", `break-glass session ${id} has already ended`, { id });
  }

  review(id: string, at: string, reviewer: string, note: string): void {
    if (this.stmt.review.run(at, reviewer, note, id).changes !== 1) {
      throw new ArbiterError("CONFLICT", `break-glass session ${id} does not exist or was already reviewed`, { id });
    }
  }
}
