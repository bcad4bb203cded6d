// Where each outside sink resumes reading the ledger: the first index it has not acknowledged.
import type { Statement } from "better-sqlite3";
import type { StreamPositionRepository } from "../contracts/stream-positions.js";
import type { SqliteDatabase } from "./database.js";

export class SqliteStreamPositions implements StreamPositionRepository {
  private readonly read: Statement<[string], number | undefined>;
  private readonly write: Statement<[string, number, string]>;

  constructor(db: SqliteDatabase) {
    this.read = db.prepare<[string], number | undefined>("SELECT next_index FROM stream_positions WHERE sink = ?").pluck();
    // MAX keeps the position from moving back when two processes on one data directory publish.
    this.write = db.prepare<[string, number, string]>(
      `INSERT INTO stream_positions (sink, next_index, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (sink) DO UPDATE SET next_index = max(next_index, excluded.next_index), updated_at = excluded.updated_at`,
    );
  }

  /** The first index `sink` has not acknowledged; 0 for a sink never seen. */
  next(sink: string): number {
    return this.read.get(sink) ?? 0;
  }

  /** Records that `sink` acknowledged every index below `next`; a smaller value than the stored one changes nothing. */
  advance(sink: string, next: number, at: Date): void {
    this.write.run(sink, next, at.toISOString());
  }
}
