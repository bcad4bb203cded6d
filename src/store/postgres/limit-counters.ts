// Rate-limit and quota counters in the PostgreSQL store: one transaction per change that holds a lock
// per key from its read to its commit, so every process and every replica counts against one budget.
import type { LimitCounter, LimitCounterChange, LimitCounterTable } from "../types.js";
import type { PgConnection, PgStatement } from "./connection.js";

/** Expired counters are deleted at most this often per process; until then a read ignores them. */
const PRUNE_EVERY_MS = 60_000;

interface Row {
  key: string;
  value: number;
  at_ms: number;
  expires_ms: number;
}

/**
 * One transaction-scoped advisory lock per key (a 64-bit hash of schema and key), taken in hash
 * order so that two updates sharing keys queue instead of deadlocking. An advisory lock, not a row
 * lock: a key with no counter yet has no row to lock, and two replicas must not both see it empty.
 */
const LOCK = `SELECT pg_advisory_xact_lock(h) FROM (
  SELECT DISTINCT hashtextextended(current_schema() || ' limit_counters ' || k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY h
) AS keys`;

/** Read after the locks, in a statement of its own: under READ COMMITTED it sees every update that held them before. */
const READ = "SELECT key, value, at_ms, expires_ms FROM limit_counters WHERE key = ANY($1::text[]) AND expires_ms > $2";

const WRITE = `INSERT INTO limit_counters (key, value, at_ms, expires_ms)
  SELECT * FROM unnest($1::text[], $2::float8[], $3::bigint[], $4::bigint[])
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms, expires_ms = excluded.expires_ms`;

/** SKIP LOCKED: the prune never waits for, nor deadlocks with, an update writing one of the rows. */
const PRUNE = `DELETE FROM limit_counters WHERE key IN (
  SELECT key FROM limit_counters WHERE expires_ms <= $1 FOR UPDATE SKIP LOCKED
)`;

export class PgLimitCounters implements LimitCounterTable {
  private lastPruneMs = 0;

  constructor(private readonly conn: PgConnection) {}

  /**
   * Two round trips: BEGIN, the locks and the read; then the writes and COMMIT. Inside a transaction
   * already open on the connection the locks join it and are held until it ends. A refusal rolls
   * back on the spot, since a failed statement leaves PostgreSQL's transaction unusable.
   */
  update<T>(keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => LimitCounterChange<T>): T {
    const own = !this.conn.inTransaction;
    const head: PgStatement[] = [
      { text: LOCK, values: [keys] },
      { text: READ, values: [keys, nowMs] },
    ];
    let result: T;
    try {
      const results = this.conn.batch(own ? [{ text: "BEGIN" }, ...head] : head);
      const found = new Map((results[results.length - 1] as Row[]).map((r) => [r.key, r]));
      const current = keys.map((key): LimitCounter | undefined => {
        const row = found.get(key);
        return row ? { value: row.value, atMs: row.at_ms, expiresMs: row.expires_ms } : undefined;
      });
      const planned = change(current);
      result = planned.result;
      const tail = [...this.writes(keys, planned.writes), ...(own ? [{ text: "COMMIT" }] : []), ...this.prune(nowMs)];
      if (tail.length > 0) this.conn.batch(tail);
    } catch (err) {
      if (own) this.rollbackQuietly();
      throw err;
    }
    return result;
  }

  private writes(keys: readonly string[], writes: ReadonlyMap<number, LimitCounter>): PgStatement[] {
    if (writes.size === 0) return [];
    // One row per key (the last write wins, as it would written one by one): an upsert may not touch a row twice.
    const byKey = new Map<string, LimitCounter>();
    for (const [i, counter] of writes) byKey.set(keys[i] as string, counter);
    const counters = [...byKey.values()];
    return [{ text: WRITE, values: [[...byKey.keys()], counters.map((c) => c.value), counters.map((c) => c.atMs), counters.map((c) => c.expiresMs)] }];
  }

  /** After the COMMIT, in the same round trip, so that a slow prune never holds an update's locks. */
  private prune(nowMs: number): PgStatement[] {
    if (nowMs - this.lastPruneMs < PRUNE_EVERY_MS) return [];
    this.lastPruneMs = nowMs;
    return [{ text: PRUNE, values: [nowMs] }];
  }

  private rollbackQuietly(): void {
    try {
      this.conn.batch([{ text: "ROLLBACK" }]);
    } catch {
      // The connection is gone or nothing was begun: nothing was committed either way.
    }
  }
}
