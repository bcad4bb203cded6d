// What taking one unit from rate limits and quotas means, as pure functions over stored counters:
// every limit store (process memory, SQLite, and the Redis script that mirrors this file) applies them.
import { createHash } from "node:crypto";
import type { LimitCounter } from "../store/index.js";

/** What a limit rule allows; `rate` refills continuously up to `burst`, `quota` resets per window. */
export interface LimitSpec {
  id: string;
  rate?: { count: number; perSeconds: number };
  burst?: number;
  quota?: { count: number; perSeconds: number };
}

export interface LimitRefusal {
  allowed: false;
  limitId: string;
  kind: "rate" | "quota";
  retryAfterSeconds: number;
  limit: string;
}

export interface LimitGrant {
  allowed: true;
  remaining: number | undefined;
  resetAt: Date | undefined;
}

/**
 * The counter key of one limit for one caller and action. The caller and action are hashed: they
 * are free text, and a key of fixed shape keeps them from colliding with the separator (or, in
 * Redis, from choosing the cluster slot). The hash is a Redis Cluster hash tag ({…}), so every
 * counter one call takes lives in one slot, as a script over several keys needs.
 */
export function limitKey(limitId: string, subjectId: string, action: string): string {
  const who = createHash("sha256").update(subjectId).update("\u0000").update(action).digest("hex").slice(0, 32);
  return `{${who}}:${limitId}`;
}

/**
 * Checks every limit against its counter (`counters[i]` for `limits[i]`, already dropped when
 * expired) and, only if all allow, takes one unit from each: a call refused by one limit does not
 * spend the budget of the others. A clock behind the stored one (another process's) never refills
 * a bucket or reopens a window.
 */
export function planTake(limits: readonly LimitSpec[], counters: readonly (LimitCounter | undefined)[], nowMs: number): { check: LimitGrant | LimitRefusal; writes: Map<number, LimitCounter> } {
  let remaining: number | undefined;
  let resetAt: number | undefined;
  const writes = new Map<number, LimitCounter>();
  for (const [i, limit] of limits.entries()) {
    const counter = counters[i];
    if (limit.rate) {
      const { count, perSeconds } = limit.rate;
      const capacity = limit.burst ?? count;
      const perMs = count / (perSeconds * 1000);
      const atMs = Math.max(nowMs, counter?.atMs ?? nowMs);
      const tokens = counter ? Math.min(capacity, counter.value + Math.max(0, nowMs - counter.atMs) * perMs) : capacity;
      if (tokens < 1) {
        return { check: { allowed: false, limitId: limit.id, kind: "rate", retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)), limit: `${count}/${perSeconds}s` }, writes: new Map() };
      }
      const fullAt = atMs + Math.ceil((capacity - (tokens - 1)) / perMs);
      writes.set(i, { value: tokens - 1, atMs, expiresMs: fullAt });
      remaining = Math.min(remaining ?? Infinity, Math.floor(tokens - 1));
      resetAt = Math.min(resetAt ?? Infinity, fullAt);
    }
    if (limit.quota) {
      const { count, perSeconds } = limit.quota;
      const windowMs = perSeconds * 1000;
      const start = Math.max(Math.floor(nowMs / windowMs) * windowMs, counter?.atMs ?? 0);
      const used = counter && counter.atMs === start ? counter.value : 0;
      if (used >= count) {
        return { check: { allowed: false, limitId: limit.id, kind: "quota", retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - nowMs) / 1000)), limit: `${count}/${perSeconds}s` }, writes: new Map() };
      }
      writes.set(i, { value: used + 1, atMs: start, expiresMs: start + windowMs });
      remaining = Math.min(remaining ?? Infinity, count - used - 1);
      resetAt = Math.min(resetAt ?? Infinity, start + windowMs);
    }
  }
  return { check: { allowed: true, remaining, resetAt: resetAt === undefined ? undefined : new Date(resetAt) }, writes };
}

/**
 * Gives back the units `planTake` took (`taken[i]` is what it wrote for `limits[i]`): a rate's token
 * to the bucket as it is now, a quota's unit only to the window it was taken from.
 */
export function planRefund(limits: readonly LimitSpec[], counters: readonly (LimitCounter | undefined)[], taken: ReadonlyMap<number, LimitCounter>): Map<number, LimitCounter> {
  const writes = new Map<number, LimitCounter>();
  for (const [i, limit] of limits.entries()) {
    const counter = counters[i];
    const spent = taken.get(i);
    if (!counter || !spent) continue;
    if (limit.rate) {
      const capacity = limit.burst ?? limit.rate.count;
      const perMs = limit.rate.count / (limit.rate.perSeconds * 1000);
      const value = Math.min(capacity, counter.value + 1);
      writes.set(i, { value, atMs: counter.atMs, expiresMs: counter.atMs + Math.ceil((capacity - value) / perMs) });
    } else if (counter.atMs === spent.atMs && counter.value > 0) {
      writes.set(i, { ...counter, value: counter.value - 1 });
    }
  }
  return writes;
}
