// Where the decision engine counts rate limits and quotas, as the `limits` settings say.
import { CountedLimits, type LimitStore } from "../decide/index.js";
import { RedisLimits } from "../redis/index.js";
import type { LimitCounterTable } from "../store/index.js";
import type { Settings } from "./settings/index.js";

/**
 * Redis when a URL is set (replicas with data directories of their own), else `counters`, kept in
 * the data directory's store (every process on it). Read by every process that decides, the CLI
 * included, from the data directory's settings file and the environment: one process counting
 * elsewhere would give its callers a budget of their own.
 */
export function limitStore(settings: Settings["limits"], counters: LimitCounterTable): LimitStore {
  if (settings.redis_url === null) return new CountedLimits(counters);
  return new RedisLimits({
    url: settings.redis_url,
    ...(settings.redis_password !== null ? { password: settings.redis_password } : {}),
    prefix: settings.redis_prefix,
    timeoutMs: settings.redis_timeout,
  });
}
