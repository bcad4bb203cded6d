// Where each outside sink resumes reading the ledger: the first index it has not acknowledged.
import type { StreamPositionRepository } from "../contracts/stream-positions.js";
import type { PgConnection } from "./connection.js";

export class PgStreamPositions implements StreamPositionRepository {
  constructor(private readonly conn: PgConnection) {}

  /** The first index `sink` has not acknowledged; 0 for a sink never seen. */
  next(sink: string): number {
    return this.conn.query<{ next_index: number }>("SELECT next_index FROM stream_positions WHERE sink = $1", [sink])[0]?.next_index ?? 0;
  }

  /** Records that `sink` acknowledged every index below `next`; a smaller value than the stored one changes nothing. */
  advance(sink: string, next: number, at: Date): void {
    // GREATEST keeps the position from moving back when two replicas publish; the upsert's row lock orders them.
    this.conn.query(
      `INSERT INTO stream_positions (sink, next_index, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (sink) DO UPDATE SET next_index = GREATEST(stream_positions.next_index, excluded.next_index), updated_at = excluded.updated_at`,
      [sink, next, at.toISOString()],
    );
  }
}
