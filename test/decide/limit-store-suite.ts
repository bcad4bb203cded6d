// One suite every limit store runs (process memory, SQLite, Redis): the same token buckets and fixed
// windows, the same all-or-nothing take, the same refund, whatever holds the counters.
import { describe, expect, it } from "vitest";
import type { LimitCheck, LimitStore } from "../../src/decide/index.js";

export const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + seconds * 1000);

function allowed(check: LimitCheck): Extract<LimitCheck, { allowed: true }> {
  if (!check.allowed) throw new Error(`refused by ${check.limitId}`);
  return check;
}

/** `open` gives a store with no counters; each case uses its own subject, so one store may serve them all. */
export function limitStoreSuite(name: string, open: () => Promise<LimitStore> | LimitStore): void {
  describe(`${name}: the limit store contract`, () => {
    it("lets a full bucket burst, then refills at the rate", async () => {
      const store = await open();
      const limits = [{ id: "five-a-minute", rate: { count: 5, perSeconds: 60 } }];
      const results = [];
      for (let i = 0; i < 6; i++) results.push(await store.take(limits, "bot", "search", at(0)));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
      expect(results[4]).toMatchObject({ allowed: true, remaining: 0, resetAt: at(60) });
      expect(results[5]).toMatchObject({ allowed: false, kind: "rate", retryAfterSeconds: 12, limitId: "five-a-minute", limit: "5/60s" });
      expect((await store.take(limits, "bot", "search", at(11))).allowed).toBe(false);
      expect(await store.take(limits, "bot", "search", at(12))).toMatchObject({ allowed: true, remaining: 0 });
      expect((await store.take(limits, "other-bot", "search", at(12))).allowed).toBe(true);
      expect((await store.take(limits, "bot", "other-action", at(12))).allowed).toBe(true);
    });

    it("counts a quota per fixed window and says when it resets", async () => {
      const store = await open();
      const limits = [{ id: "two-a-day", quota: { count: 2, perSeconds: 86400 } }];
      expect(await store.take(limits, "p", "deploy", at(0))).toMatchObject({ allowed: true, remaining: 1, resetAt: at(14 * 3600) });
      expect(await store.take(limits, "p", "deploy", at(1))).toMatchObject({ allowed: true, remaining: 0 });
      const refused = await store.take(limits, "p", "deploy", at(2));
      expect(refused).toMatchObject({ allowed: false, kind: "quota", retryAfterSeconds: 14 * 3600 - 2 });
      expect((await store.take(limits, "p", "deploy", at(14 * 3600))).allowed).toBe(true);
    });

    it("spends nothing from any limit when one of them refuses", async () => {
      const store = await open();
      const quota = { id: "quota", quota: { count: 1, perSeconds: 3600 } };
      const rate = { id: "rate", rate: { count: 3, perSeconds: 60 } };
      expect((await store.take([rate, quota], "q", "a", at(0))).allowed).toBe(true);
      expect(await store.take([rate, quota], "q", "a", at(0))).toMatchObject({ allowed: false, limitId: "quota" });
      expect(await store.take([rate], "q", "a", at(0))).toMatchObject({ allowed: true, remaining: 1 });
    });

    it("gives a refunded unit back to the bucket and to the window it came from", async () => {
      const store = await open();
      const limits = [
        { id: "burst-two", rate: { count: 2, perSeconds: 60 } },
        { id: "three-an-hour", quota: { count: 3, perSeconds: 3600 } },
      ];
      allowed(await store.take(limits, "r", "a", at(0)));
      await allowed(await store.take(limits, "r", "a", at(0))).refund();
      expect(await store.take(limits, "r", "a", at(0))).toMatchObject({ allowed: true, remaining: 0 });
      expect(await store.take(limits, "r", "a", at(0))).toMatchObject({ allowed: false, limitId: "burst-two" });
      // Two units of the hour are spent: one more fits once the bucket has a token again.
      expect(await store.take(limits, "r", "a", at(30))).toMatchObject({ allowed: true, remaining: 0 });
      expect(await store.take(limits, "r", "a", at(90))).toMatchObject({ allowed: false, limitId: "three-an-hour" });
    });

    it("never refills or reopens for a clock behind the one that last wrote", async () => {
      const store = await open();
      const rate = [{ id: "one-a-minute", rate: { count: 1, perSeconds: 60 } }];
      expect((await store.take(rate, "s", "a", at(120))).allowed).toBe(true);
      expect(await store.take(rate, "s", "a", at(0))).toMatchObject({ allowed: false, limitId: "one-a-minute" });
      const quota = [{ id: "one-a-minute-window", quota: { count: 1, perSeconds: 60 } }];
      expect((await store.take(quota, "s", "a", at(120))).allowed).toBe(true);
      expect(await store.take(quota, "s", "a", at(61))).toMatchObject({ allowed: false, limitId: "one-a-minute-window" });
    });
  });
}
