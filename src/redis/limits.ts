// Rate limits and quotas counted in Redis, for replicas with data directories of their own: every
// take and refund is one Lua script, so no other replica's command runs between its read and write.
import { createRequire } from "node:module";
import type * as IoRedis from "ioredis";
import type { Redis } from "ioredis";
import { limitKey, LimitStoreUnavailable, type LimitCheck, type LimitSpec, type LimitStore } from "../decide/index.js";
import { REFUND_SCRIPT, TAKE_SCRIPT } from "./limit-scripts.js";

export interface RedisLimitsOptions {
  /** redis:// or rediss:// (TLS), without credentials in it. */
  url: string;
  password?: string;
  /** Put before every key, so that deployments (or test runs) sharing one Redis never share a counter. */
  prefix: string;
  /** How long a take waits for Redis, connecting included, before the call is refused. */
  timeoutMs: number;
}

type Reply = (number | string)[];

// Required when a RedisLimits is made, not imported: every process that opens a data directory (each
// CLI command) reaches this module, and loading ioredis costs ≈ 70 ms whether or not it counts in Redis.
const requireLazily = createRequire(import.meta.url);

interface ScriptedRedis extends Redis {
  arbiterTake(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<Reply>;
  arbiterRefund(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
}

function limitArgs(limit: LimitSpec): [string, number, number, number] {
  if (limit.rate) return ["r", limit.rate.count, limit.rate.perSeconds, limit.burst ?? limit.rate.count];
  const quota = limit.quota as { count: number; perSeconds: number };
  return ["q", quota.count, quota.perSeconds, quota.count];
}

export class RedisLimits implements LimitStore {
  private readonly redis: ScriptedRedis;
  private connecting: Promise<void> | undefined;
  /** Why the connection last failed (a refused AUTH arrives only as an event); cleared once it is ready. */
  private connectionError = "";

  constructor(private readonly options: RedisLimitsOptions) {
    const { Redis: RedisClient } = requireLazily("ioredis") as typeof IoRedis;
    this.redis = new RedisClient(options.url, {
      ...(options.password !== undefined ? { password: options.password } : {}),
      lazyConnect: true,
      connectTimeout: options.timeoutMs,
      commandTimeout: options.timeoutMs,
      // A command sent while Redis is down fails at once: no queue builds up to be replayed later,
      // and a flood during an outage is refused as fast as it comes.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    }) as ScriptedRedis;
    // Connection errors are reported by the commands that meet them; without a listener ioredis would throw them.
    this.redis.on("error", (err: Error) => (this.connectionError = err.message));
    this.redis.on("ready", () => (this.connectionError = ""));
    this.redis.defineCommand("arbiterTake", { lua: TAKE_SCRIPT });
    this.redis.defineCommand("arbiterRefund", { lua: REFUND_SCRIPT });
  }

  async take(limits: readonly LimitSpec[], subjectId: string, action: string, now: Date): Promise<LimitCheck> {
    const keys = limits.map((limit) => this.options.prefix + limitKey(limit.id, subjectId, action));
    const nowMs = now.getTime();
    const reply = await this.call(() => this.redis.arbiterTake(keys.length, ...keys, nowMs, ...limits.flatMap(limitArgs)));
    if (Number(reply[0]) === 0) {
      const limit = limits[Number(reply[1]) - 1] as LimitSpec;
      const budget = (limit.rate ?? limit.quota) as { count: number; perSeconds: number };
      return { allowed: false, limitId: limit.id, kind: limit.rate ? "rate" : "quota", retryAfterSeconds: Number(reply[2]), limit: `${budget.count}/${budget.perSeconds}s` };
    }
    const taken = keys.map((_, i) => Number(reply[3 + i]));
    const refund = async (): Promise<void> => {
      await this.call(() => this.redis.arbiterRefund(keys.length, ...keys, nowMs, ...limits.flatMap((limit, i) => [...limitArgs(limit), taken[i] as number])));
    };
    return { allowed: true, remaining: Number(reply[1]), resetAt: new Date(Number(reply[2])), refund };
  }

  async close(): Promise<void> {
    if (this.redis.status === "end") return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /**
   * The first take connects; the takes that arrive meanwhile wait for that connection rather than
   * fail (with no offline queue, a command sent while connecting would). After a loss, the client
   * reconnects in the background and takes fail at once until it has.
   */
  private async connected(): Promise<void> {
    if (this.redis.status === "wait") this.connecting = this.redis.connect();
    if (this.connecting !== undefined && (this.redis.status === "connecting" || this.redis.status === "connect")) await this.connecting;
  }

  /** Runs a command once connected, within the timeout; any failure is LimitStoreUnavailable. */
  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      await this.connected();
      return await command();
    } catch (err) {
      throw new LimitStoreUnavailable(describe(`${err instanceof Error ? err.message : ""} ${this.connectionError}`, this.options.timeoutMs));
    }
  }
}

/** Why Redis did not answer, in words of our own: ioredis's messages carry the server's address. */
function describe(message: string, timeoutMs: number): string {
  if (/timed? ?out/i.test(message)) return `Redis did not answer within ${timeoutMs} ms`;
  if (/NOAUTH|WRONGPASS|NOPERM/.test(message)) return "Redis refused the credentials";
  if (/OOM|READONLY|LOADING|BUSY|NOSCRIPT/.test(message)) return "Redis refused the command";
  return "Redis is unreachable";
}
