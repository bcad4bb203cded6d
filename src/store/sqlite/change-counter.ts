// A change counter over one SQLite connection, so that state read from the store can be cached until it changes.
import type { SqliteDatabase } from "./database.js";

/**
 * Changes one connection can see: its own writers bump the counter directly (SQLite's data_version
 * does not move for a connection's own commits), and `PRAGMA data_version` moves when any other
 * connection — another process on the same data directory, the CLI — commits. Reading it is one
 * statement (about as cheap as the primary-key read it saves), so a cache checked against it
 * notices a change by another process on its next lookup, with no timer and no polling.
 *
 * Bumping is conservative: a bump inside a transaction that then rolls back only costs a cache miss.
 */
export class ChangeCounter {
  private readonly dataVersion: () => number;
  private local = 0;
  private seenLocal = 0;
  private seenExternal = -1;
  private seq = 0;

  constructor(db: SqliteDatabase) {
    const statement = db.prepare<[], number>("PRAGMA data_version").pluck();
    this.dataVersion = () => statement.get() as number;
  }

  /** Called by every writer of state that is cached: a revocation, a role change, a policy activation. */
  bump(): void {
    this.local++;
  }

  /**
   * A number that differs from any earlier answer once this process bumped or another connection
   * committed since. Read it *before* the lookup a cached value comes from, and keep it with that value.
   */
  version(): number {
    const external = this.dataVersion();
    if (external !== this.seenExternal || this.local !== this.seenLocal) {
      this.seenExternal = external;
      this.seenLocal = this.local;
      this.seq++;
    }
    return this.seq;
  }
}

const counters = new WeakMap<SqliteDatabase, ChangeCounter>();

/** The one counter of a connection, shared by whoever writes through it and whoever caches reads of it. */
export function changeCounterOf(db: SqliteDatabase): ChangeCounter {
  let counter = counters.get(db);
  if (counter === undefined) counters.set(db, (counter = new ChangeCounter(db)));
  return counter;
}

/**
 * Values computed from the store, each valid while the counter has not moved since it was read, and
 * until an optional instant (a credential's expiry: time passing is a change no counter sees).
 * Bounded: when full, the oldest entry goes.
 */
export class ChangeBoundCache<V> {
  private readonly entries = new Map<string, { value: V; version: number; untilMs: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, version: number, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.version === version && nowMs < entry.untilMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, version: number, untilMs = Number.POSITIVE_INFINITY): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, version, untilMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
