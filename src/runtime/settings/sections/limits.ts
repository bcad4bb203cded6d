// `limits`: where rate-limit and quota counters live (docs/deploy.md#shared-state).
import { z } from "zod";
import { duration, secret, text, type Kind } from "../kinds.js";
import { section, setting } from "../setting.js";

const REDIS_URL = /^rediss?:\/\/([^\s@/]*@)?[^\s@/]+(\/\d{1,2})?$/;

/** A Redis URL, or off; credentials written into it are never printed back. */
function redisUrl(): Kind<string | null> {
  return {
    schema: z.union([z.literal("off").transform(() => null), z.null(), z.string().max(1024).regex(REDIS_URL)]),
    allowed: "off, or redis://host:port or rediss://host:port (TLS), optionally /DB (a password goes in limits.redis_password)",
    fromText: (t) => t.trim(),
    format: (v) => (v === null ? "off" : v.replace(/\/\/[^@/]*@/, "//(credentials not shown)@")),
  };
}

export const limits = section("Rate-limit and quota counters, read by every process on the data directory (`serve`, `mcp wrap`, `decide`).", {
  redis_url: setting(redisUrl(), {
    default: null,
    doc: "Redis shared by every replica, to count rate limits and quotas across them; off: the counters live in the data directory's database, shared by every process on it.",
    env: "ARBITER_LIMITS_REDIS_URL",
  }),
  redis_password: setting(secret("the password Redis asks for (AUTH)"), {
    default: null,
    doc: "Password for a Redis that asks for one (never logged or shown).",
    env: "ARBITER_LIMITS_REDIS_PASSWORD",
  }),
  redis_prefix: setting(text({ pattern: /^[A-Za-z0-9:_.-]{1,128}$/, allowed: "1 to 128 letters, digits, or : _ . -" }), {
    default: "arbiter:limits:",
    doc: "Put before every counter's key, so that deployments sharing one Redis never share a counter; every replica of one deployment must use the same.",
    env: "ARBITER_LIMITS_REDIS_PREFIX",
  }),
  redis_timeout: setting(duration({ bare: "ms", min: 10, max: 60_000 }), {
    default: 500,
    doc: "How long a decision waits for Redis (to connect, then to answer) before a limited call is refused with RATE_LIMIT_UNAVAILABLE.",
    env: "ARBITER_LIMITS_REDIS_TIMEOUT",
  }),
});
