// Rate limits counted in a real Redis: the limit store contract, one budget for two `serve`
// replicas on data directories of their own, and fail-closed while Redis is down.
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { LimitStore } from "../../src/decide/index.js";
import { LimitStoreUnavailable } from "../../src/decide/index.js";
import { RedisLimits } from "../../src/redis/index.js";
import { formatSetting, loadSettings } from "../../src/runtime/settings/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { limitStoreSuite } from "../decide/limit-store-suite.js";
import { decideInProcess, freshDataDir, SEARCH_REQUEST, seedDataDir, startServe } from "../support/shared-limits.js";
import { freePort } from "../support/net.js";

const REDIS_URL = process.env.ARBITER_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
/** One prefix per run, so runs sharing the Redis never meet; every key under it is deleted afterwards. */
const PREFIX = `arbiter-test:${randomUUID()}:`;
const opened: LimitStore[] = [];

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function store(prefix = `${PREFIX}${randomUUID()}:`, url = REDIS_URL, timeoutMs = 2000): LimitStore {
  const limits = new RedisLimits({ url, prefix, timeoutMs });
  opened.push(limits);
  return limits;
}

limitStoreSuite("Redis", () => store());

/** A redis-server of the test's own on a free port, with nothing saved to disk. */
async function ownRedis(port: number, password?: string): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...(password ? ["--requirepass", password] : [])], { stdio: "ignore" });
  const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null, ...(password ? { password } : {}) });
  probe.on("error", () => undefined);
  await probe.ping();
  probe.disconnect();
  return child;
}

const settingsFor = (url: string, prefix: string): string => `limits:\n  redis_url: ${url}\n  redis_prefix: "${prefix}"\n  redis_timeout: 2s\n`;

describe("a rate limit counted in Redis", () => {
  it("holds across two `serve` replicas with data directories of their own", async () => {
    const settings = settingsFor(REDIS_URL, `${PREFIX}replicas:`);
    const a = freshDataDir("arbiter-redis-a-");
    const b = freshDataDir("arbiter-redis-b-");
    const [{ pepKey: keyA }, { pepKey: keyB }] = [await seedDataDir(a, settings), await seedDataDir(b, settings)];
    const [first, second] = await Promise.all([startServe(a, keyA), startServe(b, keyB)]);
    try {
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push((await (i % 2 === 0 ? first : second).decide(SEARCH_REQUEST)).body.reason_code);
      expect(answers).toEqual(["POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "RATE_LIMITED", "RATE_LIMITED"]);
      // A flood through both at once finds the budget spent, however it interleaves.
      const flood = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? first : second).decide(SEARCH_REQUEST)));
      expect(flood.filter((answer) => answer.body.outcome === "allow")).toHaveLength(0);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 180_000);

  it("never allows more than the budget to a flood through two replicas at once", async () => {
    const settings = settingsFor(REDIS_URL, `${PREFIX}flood:`);
    const a = freshDataDir("arbiter-redis-fa-");
    const b = freshDataDir("arbiter-redis-fb-");
    const [{ pepKey: keyA }, { pepKey: keyB }] = [await seedDataDir(a, settings), await seedDataDir(b, settings)];
    const [first, second] = await Promise.all([startServe(a, keyA), startServe(b, keyB)]);
    try {
      const flood = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).decide(SEARCH_REQUEST)));
      expect(flood.filter((answer) => answer.body.outcome === "allow")).toHaveLength(5);
      expect(flood.filter((answer) => answer.body.reason_code === "RATE_LIMITED")).toHaveLength(35);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  }, 180_000);

  it("refuses limited calls with RATE_LIMIT_UNAVAILABLE and records them while Redis is down, and counts again once it is back", async () => {
    const port = await freePort();
    let redis = await ownRedis(port);
    const dir = freshDataDir("arbiter-redis-down-");
    const { pepKey } = await seedDataDir(dir, settingsFor(`redis://127.0.0.1:${port}`, `${PREFIX}down:`));
    const serve = await startServe(dir, pepKey);
    try {
      expect((await serve.decide(SEARCH_REQUEST)).body).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT" });
      redis.kill("SIGKILL");
      await new Promise((resolve) => redis.once("exit", resolve));
      const refused = await serve.decide(SEARCH_REQUEST);
      expect(refused.status).toBe(200);
      expect(refused.body).toMatchObject({ outcome: "deny", control: "rate_limit", reason_code: "RATE_LIMIT_UNAVAILABLE" });
      expect(refused.body.note).toMatch(/^Limit agent-search on search_docs for research-agent could not be checked \(Redis (is unreachable|did not answer within 2000 ms)\), so the call is refused\.$/);
      // A call no limit covers is decided as ever.
      const unlimited = await serve.decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
      expect(unlimited.body).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });
      // The CLI on the same directory reads the same settings and fails closed too.
      const cli = await decideInProcess(dir);
      expect(cli).toMatchObject({ status: 1, outcome: "deny", reason_code: "RATE_LIMIT_UNAVAILABLE" });
      const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
      try {
        for (const id of [refused.body.decision_id as string, cli.decision_id]) {
          expect(runtime.decisions.find(id).record).toMatchObject({ kind: "decision", outcome: "deny", reason_code: "RATE_LIMIT_UNAVAILABLE" });
        }
      } finally {
        await runtime.close();
      }

      redis = await ownRedis(port);
      let back: Record<string, unknown> = {};
      for (let i = 0; i < 100 && back.outcome !== "allow"; i++) {
        back = (await serve.decide(SEARCH_REQUEST)).body;
        if (back.outcome !== "allow") await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The restarted Redis is empty: the budget starts over, as it would after any loss of Redis's data.
      expect(back).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT" });
    } finally {
      await serve.stop();
      redis.kill("SIGKILL");
    }
  }, 180_000);
});

describe("Redis credentials and settings", () => {
  it("refuses to count with a wrong password, saying so in words of its own, and counts with the right one", async () => {
    const port = await freePort();
    const redis = await ownRedis(port, "right-password");
    try {
      const url = `redis://127.0.0.1:${port}`;
      const limits = [{ id: "one", rate: { count: 1, perSeconds: 60 } }];
      const wrong = new RedisLimits({ url, password: "wrong-password", prefix: `${PREFIX}auth:`, timeoutMs: 2000 });
      opened.push(wrong);
      const refusal = await wrong.take(limits, "bot", "search", new Date()).then(() => undefined, (err: unknown) => err);
      expect(refusal).toBeInstanceOf(LimitStoreUnavailable);
      expect((refusal as Error).message).toBe("Redis refused the credentials");
      const none = store(`${PREFIX}auth:`, url);
      await expect(none.take(limits, "bot", "search", new Date())).rejects.toThrow(/^Redis refused the credentials$/);
      const right = new RedisLimits({ url, password: "right-password", prefix: `${PREFIX}auth:`, timeoutMs: 2000 });
      opened.push(right);
      expect(await right.take(limits, "bot", "search", new Date())).toMatchObject({ allowed: true, remaining: 0 });
    } finally {
      redis.kill("SIGKILL");
    }
  });

  it("never prints a Redis password back, and refuses a URL that is not Redis's", () => {
    const { settings } = loadSettings({ env: { ARBITER_LIMITS_REDIS_URL: "redis://:hunter2@127.0.0.1:6379/2", ARBITER_LIMITS_REDIS_PASSWORD: "s3cret-pw" } });
    expect(formatSetting("limits.redis_url", settings.limits.redis_url)).toBe("redis://(credentials not shown)@127.0.0.1:6379/2");
    expect(formatSetting("limits.redis_password", settings.limits.redis_password)).toBe("(set, not shown)");
    expect(() => loadSettings({ env: { ARBITER_LIMITS_REDIS_URL: "http://127.0.0.1:6379" } })).toThrow(/ARBITER_LIMITS_REDIS_URL must be off, or redis:\/\/host:port/);
    expect(() => loadSettings({ env: { ARBITER_LIMITS_REDIS_PREFIX: "a b*" } })).toThrow(/limits\.redis_prefix|ARBITER_LIMITS_REDIS_PREFIX/);
  });
});
