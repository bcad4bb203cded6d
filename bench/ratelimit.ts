// npm run bench:ratelimit — what sharing rate-limit counters costs: each limit store's take (one
// rate limit and one quota, as a call under the sample limits meets) against counters in process
// memory, then whole recorded decisions with each store, side by side in one run.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CountedLimits, MemoryCounterTable, type LimitSpec, type LimitStore } from "../src/decide/index.js";
import { initLedgerDir } from "../src/ledger/index.js";
import { loadPolicyDir } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { DEMO_POLICIES } from "../src/runtime/demo.js";
import { RedisLimits } from "../src/redis/index.js";
import { openDatabase, SqliteLimitCounters } from "../src/store/index.js";
import { fmt, machineLine, percentile } from "./machine.js";

const TAKES = Number(process.env.BENCH_TAKES ?? 20_000);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 5_000);
const IN_FLIGHT = 64;
const SUBJECTS = 1_000;
/** Budgets no run can use up: every take writes, as an allowed call's does. */
const LIMITS: LimitSpec[] = [
  { id: "agent-search", rate: { count: 1_000_000, perSeconds: 1 } },
  { id: "search-quota", quota: { count: 1_000_000_000, perSeconds: 86_400 } },
];

/** A Redis to measure against (none: the Redis rows are left out); keys go under a prefix of this run, deleted at the end. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const REDIS_PREFIX = `arbiter-bench:${randomUUID()}:`;

const work = mkdtempSync(join(tmpdir(), "arbiter-bench-ratelimit-"));

interface Candidate {
  name: string;
  open(dir: string): LimitStore;
  /** The runtime's default: counters in the data directory's own database. */
  shared?: boolean;
}

const CANDIDATES: Candidate[] = [
  { name: "process memory (baseline)", open: () => new CountedLimits(new MemoryCounterTable()) },
  {
    name: "SQLite, data directory",
    shared: true,
    open(dir) {
      const db = openDatabase(join(dir, "limits.db"), { create: true });
      const store = new CountedLimits(new SqliteLimitCounters(db));
      return { take: (...args) => store.take(...args), close: () => {
          db.close();
          return Promise.resolve();
        } };
    },
  },
  { name: "Redis (one Lua script)", open: (dir) => new RedisLimits({ url: REDIS_URL, prefix: `${REDIS_PREFIX}${dir.length}:${randomUUID()}:`, timeoutMs: 2000 }) },
];

async function takes(store: LimitStore): Promise<{ perSecond: number; p50: number; p99: number }> {
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < TAKES; i++) {
    const t0 = process.hrtime.bigint();
    const check = await store.take(LIMITS, `agent-${i % SUBJECTS}`, "search_docs", new Date());
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (!check.allowed) throw new Error(`take ${i} was refused by ${check.limitId}`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  samples.sort((a, b) => a - b);
  return { perSecond: TAKES / seconds, p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** The sample policies with agent-search at a budget no run uses up. */
function unboundedPolicies(): string {
  const dir = join(work, "policies");
  cpSync(DEMO_POLICIES, dir, { recursive: true });
  const limits = join(dir, "limits.yaml");
  writeFileSync(limits, readFileSync(limits, "utf8").replace("rate: 5/minute", "rate: 1000000/second").replace("burst: 5", "burst: 1000000"));
  return dir;
}

async function decisions(candidate: Candidate, index: number): Promise<number> {
  const dir = join(work, `decide-${index}`);
  initLedgerDir(dir, { origin: `bench.arbiter.example/ratelimit-${index}` });
  // The SQLite store runs over the runtime's own connection, as in every process; the others are given.
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0, ...(candidate.shared ? {} : { limits: candidate.open(dir) }) });
  try {
    const seeder = { id: "bench-seeder", type: "human" as const };
    await runtime.identities.create({ id: "alice", type: "human" }, seeder);
    await runtime.identities.create({ id: "research-agent", type: "agent", owner: "alice" }, seeder);
    await runtime.policies.activate(loadPolicyDir(unboundedPolicies()), seeder);
    const request = { subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } };
    const caller = { id: "bench", type: "human" as const, determined_by: "actor_flag" as const };
    for (let i = 0; i < 200; i++) await runtime.engine.decide(request, caller);
    const started = process.hrtime.bigint();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < DECISIONS) {
        next++;
        const answer = await runtime.engine.decide(request, caller);
        if (answer.outcome !== "allow") throw new Error(`a decision came out ${answer.reason_code}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    return DECISIONS / (Number(process.hrtime.bigint() - started) / 1e9);
  } finally {
    await runtime.close();
  }
}

try {
  console.log(`bench:ratelimit | ${machineLine()}`);
  console.log(`takes: ${TAKES} in a row over ${SUBJECTS} subjects, two limits each (a rate and a quota)`);
  let base: number | undefined;
  for (const [i, candidate] of CANDIDATES.entries()) {
    const dir = join(work, `take-${i}`);
    mkdirSync(dir);
    const store = candidate.open(dir);
    const result = await takes(store);
    await store.close();
    base ??= result.perSecond;
    console.log(`  ${candidate.name.padEnd(28)} ${fmt(result.perSecond, 0).padStart(9)} takes/s  p50 ${fmt(result.p50)} µs  p99 ${fmt(result.p99)} µs  ${fmt(1e6 / result.perSecond)} µs a take, ${fmt(base / result.perSecond)}× the baseline's`);
  }
  console.log(`decisions: ${DECISIONS} recorded decisions of research-agent's search (the sample limits), ${IN_FLIGHT} in flight, in process`);
  const rates: number[] = [];
  for (const [i, candidate] of CANDIDATES.entries()) {
    const rate = await decisions(candidate, i);
    rates.push(rate);
    console.log(`  ${candidate.name.padEnd(28)} ${fmt(rate, 0).padStart(9)} decisions/s  (${fmt(rate / (rates[0] ?? rate), 2)}× the baseline's)`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
  redis.on("error", () => undefined);
  try {
    const keys = await redis.keys(`${REDIS_PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
