import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/decide/index.js";

const at = (seconds: number): Date => new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + seconds * 1000);

describe("RateLimiter", () => {
  it("lets a full bucket burst, then refills at the rate", () => {
    const limiter = new RateLimiter();
    const limits = [{ id: "five-a-minute", rate: { count: 5, perSeconds: 60 } }];
    const results = Array.from({ length: 6 }, () => limiter.take(limits, "bot", "search", at(0)));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results[5]).toMatchObject({ allowed: false, kind: "rate", retryAfterSeconds: 12, limitId: "five-a-minute" });
    expect(limiter.take(limits, "bot", "search", at(11)).allowed).toBe(false);
    expect(limiter.take(limits, "bot", "search", at(12))).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.take(limits, "other-bot", "search", at(12)).allowed).toBe(true);
    expect(limiter.take(limits, "bot", "other-action", at(12)).allowed).toBe(true);
  });

  it("counts a quota per fixed window and says when it resets", () => {
    const limiter = new RateLimiter();
    const limits = [{ id: "two-a-day", quota: { count: 2, perSeconds: 86400 } }];
    expect(limiter.take(limits, "p", "deploy", at(0))).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.take(limits, "p", "deploy", at(1))).toMatchObject({ allowed: true, remaining: 0 });
    const refused = limiter.take(limits, "p", "deploy", at(2));
    expect(refused).toMatchObject({ allowed: false, kind: "quota", retryAfterSeconds: 14 * 3600 - 2 });
    expect(limiter.take(limits, "p", "deploy", at(14 * 3600)).allowed).toBe(true);
  });

  it("spends nothing from any limit when one of them refuses", () => {
    const limiter = new RateLimiter();
    const quota = { id: "quota", quota: { count: 1, perSeconds: 3600 } };
    const rate = { id: "rate", rate: { count: 3, perSeconds: 60 } };
    expect(limiter.take([rate, quota], "p", "a", at(0)).allowed).toBe(true);
    expect(limiter.take([rate, quota], "p", "a", at(0)).allowed).toBe(false);
    expect(limiter.take([rate], "p", "a", at(0))).toMatchObject({ allowed: true, remaining: 1 });
  });
});
