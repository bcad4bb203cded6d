// bench:scale's servers: a data directory seeded with the identities and policies the load needs,
// `arbiter serve` processes started on it (or on copies of it), the decision load spread over them,
// and `arbiter log verify` after. The same for either store: the data directory says which.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { initLedgerDir } from "../src/ledger/index.js";
import { loadPolicyDir } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { BenchFailure, freePort, measure, waitFor } from "./load.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const CLI = join(ROOT, "dist", "cli", "main.js");
export const ORIGIN = "bench.arbiter.example/scale";
export const CONNECTIONS = 16;
export const DISTINCT_PATHS = 100_000;

/**
 * Creates the identities, policies and the gateway's API key the load uses; the PEP key. A data
 * directory `arbiter init` made already (on a PostgreSQL store) is kept as it is.
 */
export async function seed(dir: string): Promise<string> {
  initLedgerDir(dir, { origin: ORIGIN });
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

export interface Server {
  child: ChildProcess;
  url: string;
}

/** Starts `serve --workers N` on `dir` and waits until its deciding processes have all started. */
export async function startServer(dir: string, workers: number): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "serve", "--port", String(port), "--log-level", "warn", "--workers", String(workers), "--data", dir], { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/healthz`, child);
    // The primary answers nothing itself: wait until every deciding process has started.
    for (let i = 0; i < 100 && childCount(child.pid as number) < workers; i++) await new Promise((r) => setTimeout(r, 100));
  } catch (err) {
    await stopServer({ child, url });
    throw err;
  }
  return { child, url };
}

export async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function childCount(pid: number): number {
  const out = spawnSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" }).stdout;
  return out.split("\n").filter((line) => line.trim() !== "").length;
}

export interface LoadFigures {
  rps: number;
  p50: number;
  p99: number;
  /** CPU of every serving process (primaries and deciding processes), per answer. */
  cpuPerDecisionUs: number;
  /** CPU of the database server's backends serving them, per answer, when it can be read. */
  dbCpuPerDecisionUs?: number;
}

/**
 * POST /v1/decisions for BENCH_SECONDS, the connections dealt round-robin over `servers`; every
 * answer must be an allow. `dbCpu` gives the database server's CPU seconds so far (undefined when
 * it cannot be read).
 */
export async function decisionLoad(title: string, servers: readonly Server[], pep: string, seconds: number, dbCpu?: () => number | undefined): Promise<LoadFigures> {
  const body = (n: number): string => JSON.stringify({ subject: { id: "research-agent" }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path: `/workspace/notes-${n % DISTINCT_PATHS}.md` } });
  const headers = { authorization: `Bearer ${pep}`, "content-type": "application/json" };
  const watch: Record<string, number | (() => number)> = Object.fromEntries(servers.map((s, i) => [`server ${i}`, s.child.pid as number]));
  let dbReadable = dbCpu !== undefined;
  if (dbCpu !== undefined) {
    watch.db = () => {
      const used = dbCpu();
      if (used === undefined) dbReadable = false;
      return used ?? 0;
    };
  }
  const { result, measured, cpu } = await measure({
    title,
    url: servers.map((s) => s.url),
    connections: CONNECTIONS,
    seconds,
    warmupSeconds: 2,
    request: (n) => ({ method: "POST", path: "/v1/decisions", headers, body: body(n) }),
    expect: (answer) => answer.includes('"outcome":"allow"'),
    watch,
  });
  const answers = Math.max(1, measured.ok + measured.non2xx + measured.unexpected);
  const serverCpu = Object.entries(cpu).filter(([name]) => name !== "db").reduce((sum, [, used]) => sum + used, 0);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerDecisionUs: (serverCpu / answers) * 1e6,
    ...(dbReadable && cpu.db !== undefined ? { dbCpuPerDecisionUs: (cpu.db / answers) * 1e6 } : {}),
  };
}

/** `arbiter log verify` on `dir`; a failure fails the bench. */
export function verifyLog(dir: string, after: string): void {
  const verified = spawnSync(process.execPath, [CLI, "log", "verify", "--data", dir], { encoding: "utf8" });
  if (verified.status !== 0) throw new BenchFailure(`log verify failed after ${after}: ${verified.stdout}${verified.stderr}`);
}
