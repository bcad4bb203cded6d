// Rate-limit and quota counters in the data directory's database: one write transaction per change,
// so every process on the directory (CLI, `mcp wrap`, `serve`) counts against the same budget.
import type { Statement } from "better-sqlite3";
import type { LimitCounter, LimitCounterChange, LimitCounterTable } from "../types.js";
import type { SqliteDatabase } from "./database.js";

/** Expired counters are deleted at most this often per process; until then a read ignores them. */
const PRUNE_EVERY_MS = 60_000;

interface Row {
  value: number;
  at_ms: number;
  expires_ms: number;
}

export class SqliteLimitCounters implements LimitCounterTable {
  private readonly read: Statement<[string], Row>;
  private readonly write: Statement<[string, number, number, number]>;
  private readonly prune: Statement<[number]>;
  private readonly apply: { immediate(keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => LimitCounterChange<unknown>): unknown };
  private lastPruneMs = 0;

  constructor(db: SqliteDatabase) {
    this.read = db.prepare("SELECT value, at_ms, expires_ms FROM limit_counters WHERE key = ?");
    this.write = db.prepare("INSERT INTO limit_counters (key, value, at_ms, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms, expires_ms = excluded.expires_ms");
    this.prune = db.prepare("DELETE FROM limit_counters WHERE expires_ms <= ?");
    this.apply = db.transaction((keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => LimitCounterChange<unknown>): unknown => {
      if (nowMs - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.prune.run(nowMs);
        this.lastPruneMs = nowMs;
      }
      const current = keys.map((key): LimitCounter | undefined => {
        const row = this.read.get(key);
        return row && row.expires_ms > nowMs ? { value: row.value, atMs: row.at_ms, expiresMs: row.expires_ms } : undefined;
      });
      const { writes, result } = change(current);
      for (const [i, counter] of writes) this.write.run(keys[i] as string, counter.value, counter.atMs, counter.expiresMs);
      return result;
    });
  }

  /**
   * BEGIN IMMEDIATE takes the database's write lock before the read, so no other process's change
   * can fall between this one's read and write (a deferred transaction would read, then fail to
   * upgrade with SQLITE_BUSY under contention). Waiting for the lock is bounded by busy_timeout.
   */
  update<T>(keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => LimitCounterChange<T>): T {
    return this.apply.immediate(keys, nowMs, change) as T;
  }
}
