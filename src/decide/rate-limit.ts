// Rate limits and quotas: the store contract every deciding process takes units through, and the
// store over a table of counters (SQLite on the data directory, or process memory).
import type { LimitCounter, LimitCounterTable } from "../store/index.js";
import { limitKey, planRefund, planTake, type LimitGrant, type LimitRefusal, type LimitSpec } from "./limit-plan.js";

export type LimitCheck =
  | (LimitGrant & {
      /** Gives the units back: the call they were taken for was refused before its decision was recorded. */
      refund: () => Promise<void>;
    })
  | LimitRefusal;

/**
 * Where the counters of rate limits and quotas live. Every process that decides for one deployment
 * must use the same store, or each would count alone.
 */
export interface LimitStore {
  /**
   * Checks every applicable limit and, only if all allow, takes one unit from each, atomically
   * across every process sharing the store. Rejects when the store cannot answer (with
   * LimitStoreUnavailable where it knows why); the caller must then refuse (fail closed).
   */
  take(limits: readonly LimitSpec[], subjectId: string, action: string, now: Date): Promise<LimitCheck>;
  close(): Promise<void>;
}

/** The limit store could not be read or written (unreachable, timed out, locked); no unit was taken. */
export class LimitStoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitStoreUnavailable";
  }
}

/** Limits over a table of counters that applies each change atomically. */
export class CountedLimits implements LimitStore {
  constructor(private readonly table: LimitCounterTable) {}

  take(limits: readonly LimitSpec[], subjectId: string, action: string, now: Date): Promise<LimitCheck> {
    // The table is synchronous; the executor turns its failure into a rejection, as the contract says.
    return new Promise((resolve) => resolve(this.takeNow(limits, subjectId, action, now)));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private takeNow(limits: readonly LimitSpec[], subjectId: string, action: string, now: Date): LimitCheck {
    const keys = limits.map((limit) => limitKey(limit.id, subjectId, action));
    const nowMs = now.getTime();
    const plan = this.table.update(keys, nowMs, (counters) => {
      const { check, writes } = planTake(limits, counters, nowMs);
      return { writes, result: { check, writes } };
    });
    if (!plan.check.allowed) return plan.check;
    const refund = (): Promise<void> =>
      new Promise((resolve) => resolve(this.table.update(keys, nowMs, (counters) => ({ writes: planRefund(limits, counters, plan.writes), result: undefined }))));
    return { ...plan.check, refund };
  }
}

/** Counters in this process's memory: each process counts alone, and a restart forgets. The reference the shared stores are measured against. */
export class MemoryCounterTable implements LimitCounterTable {
  private readonly counters = new Map<string, LimitCounter>();
  private lastSweepMs = 0;

  update<T>(keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => { writes: ReadonlyMap<number, LimitCounter>; result: T }): T {
    this.sweep(nowMs);
    const current = keys.map((key) => {
      const counter = this.counters.get(key);
      return counter && counter.expiresMs > nowMs ? counter : undefined;
    });
    const { writes, result } = change(current);
    for (const [i, counter] of writes) this.counters.set(keys[i] as string, counter);
    return result;
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < 60_000) return;
    this.lastSweepMs = nowMs;
    for (const [key, counter] of this.counters) if (counter.expiresMs <= nowMs) this.counters.delete(key);
  }
}
