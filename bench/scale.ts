// npm run bench:scale — POST /v1/decisions through `arbiter serve --workers N` for N = 1, 2, 3 in one
// run: decisions/s with every record durable before its answer, p50/p99, and the server's CPU per
// decision from /proc (the primary and its deciding processes). Varied requests, like bench:decide's
// (a different path each time, so every request is evaluated by Cedar). Every answer is checked (an allow
// is expected); a run with more than 1% refusals or errors fails the bench. After each run the ledger
// is checked with `arbiter log verify`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initLedgerDir } from "../src/ledger/index.js";
import { loadPolicyDir } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { BenchFailure, freePort, measure, waitFor } from "./load.js";
import { fmt, machineLine } from "./machine.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist", "cli", "main.js");
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;
const WORKERS = (process.env.BENCH_WORKERS ?? "1,2,3").split(",").map(Number);
const DISTINCT_PATHS = 100_000;
const work = mkdtempSync(join(tmpdir(), "arbiter-bench-scale-"));

async function seed(dir: string): Promise<string> {
  initLedgerDir(dir, { origin: "bench.arbiter.example/scale" });
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  const seeder = { id: "bench", type: "human" as const };
  await runtime.identities.create({ id: "alice", type: "human" }, seeder);
  await runtime.identities.create({ id: "research-agent", type: "agent", owner: "alice" }, seeder);
  await runtime.identities.create({ id: "gateway", type: "service_account", owner: "alice", roles: ["pep"], assertion_scope: { ids: ["research-agent"] } }, seeder);
  await runtime.policies.activate(loadPolicyDir(join(ROOT, "examples", "policies")), seeder);
  const pep = (await runtime.identities.issueApiKey("gateway", seeder)).key;
  await runtime.close();
  return pep;
}

interface Row {
  workers: number;
  rps: number;
  p50: number;
  p99: number;
  cpuPerDecisionUs: number;
}

async function run(workers: number): Promise<Row> {
  const dir = join(work, `data-${workers}`);
  const pep = await seed(dir);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "serve", "--port", String(port), "--log-level", "warn", "--workers", String(workers), "--data", dir], { stdio: ["ignore", "ignore", "inherit"] });
  try {
    await waitFor(`http://127.0.0.1:${port}/healthz`, child);
    // The primary answers nothing itself: wait until every deciding process has started.
    for (let i = 0; i < 100 && childCount(child.pid as number) < workers; i++) await new Promise((r) => setTimeout(r, 100));
    const body = (n: number): string => JSON.stringify({ subject: { id: "research-agent" }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path: `/workspace/notes-${n % DISTINCT_PATHS}.md` } });
    const headers = { authorization: `Bearer ${pep}`, "content-type": "application/json" };
    const { result, measured, cpu } = await measure({
      title: `--workers ${workers}`,
      url: `http://127.0.0.1:${port}`,
      connections: CONNECTIONS,
      seconds: DURATION,
      warmupSeconds: 2,
      request: (n) => ({ method: "POST", path: "/v1/decisions", headers, body: body(n) }),
      expect: (answer) => answer.includes('"outcome":"allow"'),
      watch: { server: child.pid as number },
    });
    const answers = measured.ok + measured.non2xx + measured.unexpected;
    const row = { workers, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuPerDecisionUs: ((cpu.server as number) / Math.max(1, answers)) * 1e6 };
    await stopServer(child);
    const verified = spawnSync(process.execPath, [CLI, "log", "verify", "--data", dir], { encoding: "utf8" });
    if (verified.status !== 0) throw new BenchFailure(`log verify failed after --workers ${workers}: ${verified.stdout}${verified.stderr}`);
    return row;
  } finally {
    await stopServer(child);
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function childCount(pid: number): number {
  const out = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((line) => line.trim() !== "").length;
}

async function main(): Promise<void> {
  console.log(`bench:scale | ${machineLine()} | ${availableParallelism()} cores`);
  console.log(`POST /v1/decisions, ${CONNECTIONS} connections, ${DURATION} s after a 2 s warm-up, ${DISTINCT_PATHS.toLocaleString("en-US")} different paths; load generator in this process; every answer checked and durable`);
  const rows: Row[] = [];
  for (const workers of WORKERS) {
    const before = loadavg()[0] ?? 0;
    const row = await run(workers);
    rows.push(row);
    console.log(`   --workers ${workers}   ${fmt(row.rps, 0).padStart(6)} decisions/s   p50 ${fmt(row.p50)} ms   p99 ${fmt(row.p99)} ms   server CPU ${fmt(row.cpuPerDecisionUs, 0)} µs/decision   load average ${fmt(before, 2)} → ${fmt(loadavg()[0] ?? 0, 2)}`);
  }
  const base = rows.find((r) => r.workers === 1);
  if (base) for (const row of rows) if (row !== base) console.log(`   --workers ${row.workers} / --workers 1: ${fmt(row.rps / base.rps, 2)}x decisions/s, ${fmt(row.cpuPerDecisionUs / base.cpuPerDecisionUs, 2)}x CPU per decision`);
  console.log("   log verify passed on each run's ledger");
}

try {
  await main();
} catch (err) {
  console.error(`\nbench:scale FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
