// Token buckets and fixed-window quotas per identity, action and limit rule, kept in process memory.
// A replica's counters are its own; shared counters across replicas belong in Redis (architecture.md).

/** What a limit rule allows; `rate` refills continuously up to `burst`, `quota` resets per window. */
export interface LimitSpec {
  id: string;
  rate?: { count: number; perSeconds: number };
  burst?: number;
  quota?: { count: number; perSeconds: number };
}

export type LimitCheck =
  | {
      allowed: true;
      remaining: number | undefined;
      resetAt: Date | undefined;
      /** Gives the unit back: the call it was taken for was refused before its decision was recorded. */
      refund: () => void;
    }
  | { allowed: false; limitId: string; kind: "rate" | "quota"; retryAfterSeconds: number; limit: string };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

interface Window {
  start: number;
  used: number;
}

/** Buckets untouched this long are dropped; a full bucket is the same as no bucket. */
const IDLE_MS = 60 * 60 * 1000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly windows = new Map<string, Window>();
  private lastSweepMs = 0;

  /**
   * Checks every applicable limit and, only if all allow, takes one unit from each: a call refused
   * by one limit does not spend the budget of the others.
   */
  take(limits: readonly LimitSpec[], subjectId: string, action: string, now: Date): LimitCheck {
    const nowMs = now.getTime();
    this.sweep(nowMs);
    let remaining: number | undefined;
    let resetAt: Date | undefined;
    const commits: (() => void)[] = [];
    const refunds: (() => void)[] = [];
    for (const limit of limits) {
      const key = `${limit.id}\u0000${subjectId}\u0000${action}`;
      if (limit.rate) {
        const { count, perSeconds } = limit.rate;
        const capacity = limit.burst ?? count;
        const perMs = count / (perSeconds * 1000);
        const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedMs: nowMs };
        const tokens = Math.min(capacity, bucket.tokens + (nowMs - bucket.updatedMs) * perMs);
        if (tokens < 1) {
          return { allowed: false, limitId: limit.id, kind: "rate", retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)), limit: `${count}/${perSeconds}s` };
        }
        commits.push(() => this.buckets.set(key, { tokens: tokens - 1, updatedMs: nowMs }));
        refunds.push(() => {
          const later = this.buckets.get(key);
          if (later) later.tokens = Math.min(capacity, later.tokens + 1);
        });
        remaining = Math.min(remaining ?? Infinity, Math.floor(tokens - 1));
        const fullAt = new Date(nowMs + Math.ceil((capacity - (tokens - 1)) / perMs));
        resetAt = resetAt && resetAt < fullAt ? resetAt : fullAt;
      }
      if (limit.quota) {
        const { count, perSeconds } = limit.quota;
        const windowMs = perSeconds * 1000;
        const start = Math.floor(nowMs / windowMs) * windowMs;
        const current = this.windows.get(key);
        const used = current && current.start === start ? current.used : 0;
        if (used >= count) {
          return { allowed: false, limitId: limit.id, kind: "quota", retryAfterSeconds: Math.max(1, Math.ceil((start + windowMs - nowMs) / 1000)), limit: `${count}/${perSeconds}s` };
        }
        commits.push(() => this.windows.set(key, { start, used: used + 1 }));
        refunds.push(() => {
          const later = this.windows.get(key);
          if (later?.start === start && later.used > 0) later.used--;
        });
        remaining = Math.min(remaining ?? Infinity, count - used - 1);
        const end = new Date(start + windowMs);
        resetAt = resetAt && resetAt < end ? resetAt : end;
      }
    }
    for (const commit of commits) commit();
    return { allowed: true, remaining, resetAt, refund: () => refunds.forEach((refund) => refund()) };
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < IDLE_MS) return;
    this.lastSweepMs = nowMs;
    for (const [key, bucket] of this.buckets) if (nowMs - bucket.updatedMs > IDLE_MS) this.buckets.delete(key);
    for (const [key, window] of this.windows) if (nowMs - window.start > IDLE_MS * 48) this.windows.delete(key);
  }
}
