// npm run bench:decide — (a) in-process evaluation latency at 10/100/1,000 policies, sliced vs the whole
// set through cedar-wasm directly; (b) POST /v1/decisions throughput and p99 at 16 connections, every
// decision durable, against Cerbos (file audit log on) deciding an equivalent policy on this machine, with
// each server's CPU time per decision from /proc. Every answer is checked (an allow is expected): a run
// with more than 1% refusals or errors fails the bench with exit code 1 and names the first one.
import type autocannon from "autocannon";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initLedgerDir } from "../src/ledger/index.js";
import { preparsePolicySet, statefulIsAuthorized } from "../src/policy/cedar.js";
import { caseRequest, loadPolicyCases, loadPolicyDir, PolicyEngine, type CedarRequest } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { paddedPolicySet } from "./decide-policies.js";
import { BenchFailure, freePort, measure, waitFor } from "./load.js";
import { fmt, machineLine, percentile } from "./machine.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES = join(ROOT, "examples", "policies");
const CERBOS = join(ROOT, "node_modules", "@cerbos", "cerbos-linux-x64", "cerbos-linux-x64");
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Rounds of (b), Arbiter and Cerbos in turn, the order reversed every other round: this kind of machine
 * (a VM on a shared host) speeds up and slows down by 30% or more within minutes, so the ratios are
 * taken within each round and the targets read on their median.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const CONNECTIONS = 16;
const work = mkdtempSync(join(tmpdir(), "arbiter-bench-decide-"));

function timeEach(count: number, fn: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return samples.sort((a, b) => a - b);
}

function sampleRequests(): { request: CedarRequest; exclude: readonly string[] }[] {
  const cases = loadPolicyCases(join(EXAMPLES, "tests.yaml")).cases.filter((c) => !("error" in c.expect));
  return cases.map((c) => ({ request: caseRequest(c), exclude: c.exclude_reasons ?? [] }));
}

function inProcess(): void {
  console.log("\n(a) in-process evaluation, the sample test cases as requests; µs per decision");
  console.log("   policies | sliced p50 / p99 | whole set via cedar-wasm p50 / p99 | ratio p50");
  const requests = sampleRequests();
  for (const size of [10, 100, 1000]) {
    const set = loadPolicyDir(paddedPolicySet(EXAMPLES, join(work, "policies"), size));
    // Cedar evaluates every request here; the answer cache's hits are measured on their own below.
    const engine = new PolicyEngine(set, { answerCache: false });
    const sliced = (i: number) => {
      const r = requests[i % requests.length] as (typeof requests)[number];
      engine.evaluate(r.request, { excludeReasons: r.exclude as never });
    };
    const wholeId = `bench-whole-${size}`;
    preparsePolicySet(wholeId, { staticPolicies: Object.fromEntries(set.content.policies.map((p) => [p.id, p.text])) });
    const whole = (i: number) => {
      const { request } = requests[i % requests.length] as (typeof requests)[number];
      statefulIsAuthorized({
        principal: request.principal,
        action: { type: "Action", id: request.action },
        resource: request.resource,
        context: request.context,
        entities: request.entities,
        preparsedPolicySetId: wholeId,
      });
    };
    timeEach(2000, sliced);
    timeEach(size >= 1000 ? 200 : 2000, whole);
    const a = timeEach(20_000, sliced);
    const b = timeEach(size >= 1000 ? 1000 : 10_000, whole);
    const target = size === 1000 ? `  target p50 < 50 µs at 1,000: ${percentile(a, 50) < 50 ? "met" : "MISSED"}; raised < 20 µs: ${percentile(a, 50) < 20 ? "met" : "MISSED"}` : "";
    console.log(`   ${String(set.rules.length).padStart(8)} | ${fmt(percentile(a, 50)).padStart(6)} / ${fmt(percentile(a, 99)).padStart(7)} | ${fmt(percentile(b, 50)).padStart(9)} / ${fmt(percentile(b, 99)).padStart(9)}${" ".repeat(12)} | ${fmt(percentile(b, 50) / percentile(a, 50))}x${target}`);
    engine.dispose();
    if (size === 1000) {
      const cached = new PolicyEngine(set);
      const again = (i: number) => {
        const r = requests[i % requests.length] as (typeof requests)[number];
        cached.evaluate(r.request, { excludeReasons: r.exclude as never });
      };
      timeEach(2000, again);
      const c = timeEach(20_000, again);
      console.log(`   the same requests again, answered from the engine's answer cache: p50 ${fmt(percentile(c, 50))} / p99 ${fmt(percentile(c, 99))} µs`);
      cached.dispose();
    }
  }
}

/** The file a request asks to read: always the same one, or one of DISTINCT_PATHS in turn. */
type PathOf = (n: number) => string;
const SAME_PATH: PathOf = () => "/workspace/notes.md";
/** More paths than Arbiter's answer cache keeps, so every varied request is evaluated by Cedar. */
const DISTINCT_PATHS = 100_000;
const VARIED_PATH: PathOf = (n) => `/workspace/notes-${n % DISTINCT_PATHS}.md`;

interface Run {
  result: autocannon.Result;
  /** The server's CPU seconds per answer during the measured run (from /proc, with its child processes). */
  cpuPerAnswer: number;
}

interface Loads {
  repeated: Run;
  varied: Run;
}

async function load(server: Server, title: string, pathOf: PathOf): Promise<Run> {
  const { origin, pathname } = new URL(server.url);
  const { result, measured, cpu } = await measure({ title, url: origin, connections: CONNECTIONS, seconds: DURATION, warmupSeconds: 2, request: (n) => ({ method: "POST", path: pathname, headers: server.headers, body: server.body(pathOf(n)) }), expect: server.expect, watch: { server: server.pid } });
  const answers = measured.ok + measured.non2xx + measured.unexpected;
  const cpuPerAnswer = (cpu.server as number) / Math.max(1, answers);
  console.log(`   ${title.padEnd(56)} ${fmt(result.requests.average, 0).padStart(8)} req/s   p50 ${fmt(result.latency.p50)} ms   p99 ${fmt(result.latency.p99)} ms   server CPU ${fmt(cpuPerAnswer * 1e6, 0)} µs/answer   non-2xx ${result.non2xx}   errors ${result.errors}`);
  return { result, cpuPerAnswer };
}

/** A server under load: where to post, how, and what a right answer contains. */
interface Server {
  url: string;
  pid: number;
  headers: Record<string, string>;
  body: (path: string) => string;
  expect: (answer: string) => boolean;
}

/** A server started once for every round. */
interface Running {
  name: string;
  server: Server;
  stop: () => Promise<void>;
}

async function stopChild(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

/** The same question asked over and over (Arbiter's answer cache hits), then a different file each time. */
async function loads(name: string, server: Server): Promise<Loads> {
  return {
    repeated: await load(server, `${name}, the same request`, SAME_PATH),
    varied: await load(server, `${name}, ${DISTINCT_PATHS.toLocaleString("en-US")} different paths`, VARIED_PATH),
  };
}

/** `arbiter serve` on a seeded data directory, until `stop`. */
async function startArbiter(): Promise<Running> {
  const dir = join(work, "arbiter-data");
  initLedgerDir(dir, { origin: "bench.arbiter.example/decide" });
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  const seeder = { id: "bench", type: "human" as const };
  await runtime.identities.create({ id: "alice", type: "human" }, seeder);
  await runtime.identities.create({ id: "research-agent", type: "agent", owner: "alice" }, seeder);
  // The gateway names its caller by id (subject.id), which a PEP may do only within its assertion
  // scope (docs/identities.md); without one every request is a 403 ASSERTION_OUT_OF_SCOPE.
  await runtime.identities.create({ id: "gateway", type: "service_account", owner: "alice", roles: ["pep"], assertion_scope: { ids: ["research-agent"] } }, seeder);
  await runtime.policies.activate(loadPolicyDir(EXAMPLES), seeder);
  const pep = (await runtime.identities.issueApiKey("gateway", seeder)).key;
  await runtime.close();

  const port = await freePort();
  const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, join(ROOT, "dist", "cli", "main.js"), "serve", "--port", String(port), "--log-level", "warn", "--data", dir], { stdio: "inherit" });
  await waitFor(`http://127.0.0.1:${port}/healthz`, child);
  const body = (path: string) => JSON.stringify({ subject: { id: "research-agent" }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path } });
  const headers = { authorization: `Bearer ${pep}`, "content-type": "application/json" };
  return {
    name: "Arbiter POST /v1/decisions",
    server: { url: `http://127.0.0.1:${port}/v1/decisions`, pid: child.pid as number, headers, body, expect: (answer) => answer.includes('"outcome":"allow"') },
    stop: () => stopChild(child),
  };
}

const CERBOS_POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: default
  resource: tool
  rules:
    - actions: ["read_file"]
      effect: EFFECT_ALLOW
      roles: ["agent"]
      condition:
        match:
          expr: request.resource.attr.path.startsWith("/workspace/")
    - actions: ["read_file", "write_file"]
      effect: EFFECT_DENY
      roles: ["*"]
      condition:
        match:
          any:
            of:
              - expr: request.resource.attr.path.endsWith(".env")
              - expr: request.resource.attr.path.contains("/secrets/")
`;

/** Cerbos with its file audit log, until `stop`. */
async function startCerbos(): Promise<Running> {
  const dir = join(work, "cerbos");
  mkdirSync(join(dir, "policies"), { recursive: true });
  writeFileSync(join(dir, "policies", "tool.yaml"), CERBOS_POLICY);
  const port = await freePort();
  const grpc = await freePort();
  writeFileSync(
    join(dir, "config.yaml"),
    `server:\n  httpListenAddr: "127.0.0.1:${port}"\n  grpcListenAddr: "127.0.0.1:${grpc}"\nstorage:\n  driver: disk\n  disk:\n    directory: ${join(dir, "policies")}\n    watchForChanges: false\n` +
      `audit:\n  enabled: true\n  accessLogsEnabled: true\n  decisionLogsEnabled: true\n  backend: file\n  file:\n    path: ${join(dir, "audit.log")}\n`,
  );
  // Cerbos logs every request the load generator cancels at the end of a run as an error: keep them out of the report.
  const child = spawn(CERBOS, ["server", `--config=${join(dir, "config.yaml")}`, "--log-level=error"], { stdio: "ignore" });
  await waitFor(`http://127.0.0.1:${port}/_cerbos/health`, child);
  const body = (path: string) =>
    JSON.stringify({
        requestId: "bench",
        principal: { id: "research-agent", roles: ["agent"], attr: { owner: "alice" } },
        resources: [{ actions: ["read_file"], resource: { kind: "tool", id: "filesystem/read_file", attr: { server: "filesystem", path } } }],
      });
  return {
    name: "Cerbos POST /api/check/resources",
    server: { url: `http://127.0.0.1:${port}/api/check/resources`, pid: child.pid as number, headers: { "content-type": "application/json" }, body, expect: (answer) => answer.includes('"EFFECT_ALLOW"') },
    stop: () => stopChild(child),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  console.log(`bench:decide | ${machineLine()}`);
  if (process.env.BENCH_PART !== "http") inProcess();
  console.log(`\n(b) HTTP, ${CONNECTIONS} connections, ${DURATION} s after a 2 s warm-up, ${ROUNDS} rounds, load generator in this process; every answer checked (an allow expected)`);
  if (!existsSync(CERBOS)) {
    // The Cerbos binary is an optional dependency (linux-x64 only): without it there is no baseline to compare with.
    console.log("   Cerbos baseline skipped: @cerbos/cerbos-linux-x64 is not installed on this platform");
  }
  const servers: Running[] = [];
  try {
    servers.push(await startArbiter());
    if (existsSync(CERBOS)) servers.push(await startCerbos());
    const rounds: Loads[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`   round ${round + 1} of ${ROUNDS}`);
      const measured = new Map<Running, Loads>();
      for (const running of round % 2 === 0 ? servers : [...servers].reverse()) measured.set(running, await loads(running.name, running.server));
      rounds.push(servers.map((running) => measured.get(running) as Loads));
    }
    if (servers.length < 2) return;
    for (const kind of ["repeated", "varied"] as const) {
      const ratios = rounds.map(([a, c]) => {
        const [ours, theirs] = [(a as Loads)[kind], (c as Loads)[kind]];
        return { throughput: ours.result.requests.average / theirs.result.requests.average, p99: ours.result.latency.p99 / theirs.result.latency.p99, perCpu: theirs.cpuPerAnswer / ours.cpuPerAnswer };
      });
      const [throughput, p99, perCpu] = (["throughput", "p99", "perCpu"] as const).map((key) => median(ratios.map((r) => r[key]))) as [number, number, number];
      const each = (key: "throughput" | "p99" | "perCpu") => ratios.map((r) => fmt(r[key], 2)).join(" / ");
      console.log(`   ${kind.padEnd(8)} throughput ratio Arbiter / Cerbos by round ${each("throughput")}, median ${fmt(throughput, 2)}x (target >= 1.5x: ${throughput >= 1.5 ? "met" : "MISSED"}); p99 ratio ${each("p99")}, median ${fmt(p99, 2)}x (target: no higher: ${p99 <= 1 ? "met" : "MISSED"})`);
      console.log(`   ${"".padEnd(8)} decisions per CPU-second of the server, Arbiter / Cerbos, by round ${each("perCpu")}, median ${fmt(perCpu, 2)}x (target >= 1.2x: ${perCpu >= 1.2 ? "met" : "MISSED"})`);
    }
    console.log("   every Arbiter answer above was sent only after its decision record was fsync'd to the ledger");
  } finally {
    for (const running of servers) await running.stop();
  }
}

try {
  await main();
} catch (err) {
  // A run whose answers were mostly refusals (or a server that did not start) must not pass for a result.
  console.error(`\nbench:decide FAILED: ${err instanceof Error ? err.message : String(err)}`);
  if (!(err instanceof BenchFailure) && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
