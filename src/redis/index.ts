// Redis for replicas that share no data directory: rate-limit and quota counters across them.
export { RedisLimits, type RedisLimitsOptions } from "./limits.js";
