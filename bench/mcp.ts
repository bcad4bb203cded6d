// npm run bench:mcp — the same sequence of tools/call made directly to a real upstream and through the gateway
// (stdio: `arbiter mcp wrap`; Streamable HTTP: `arbiter serve` at /mcp/NAME), every decision durable; added p50/p99.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { DecisionPoint } from "../src/enforce/decision-point/index.js";
import { DEFAULT_LIMITS, addUpstream, runWrap } from "../src/enforce/mcp/index.js";
import { sessionScopedFetch } from "../src/enforce/mcp/session-fetch.js";
import { initLedgerDir } from "../src/ledger/index.js";
import { loadPolicyDir } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { DATA_FILES } from "../src/store/index.js";
import { freePort } from "./load.js";
import { fmt, machineLine, percentile } from "./machine.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const EVERYTHING = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
const POLICIES = join(ROOT, "test", "fixtures", "mcp", "policies");
const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 200);
const TARGET = { p50: 1, p99: 3 };
/** BENCH_PART=stdio measures only the recorded stdio path, BENCH_PART=http only the Streamable HTTP rows (quicker, for profiling). */
const PART = process.env.BENCH_PART ?? "all";

/** Starts a child and resolves once it writes `ready` on stdout or stderr. */
function startChild(command: string, args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    const check = (chunk: Buffer) => {
      if (ready.test(chunk.toString("utf8"))) resolve(child);
    };
    child.stdout?.on("data", check);
    child.stderr?.on("data", check);
    child.once("exit", (code) => reject(new Error(`${command} ${args.join(" ")} exited with ${code}`)));
  });
}

async function connect(transport: Transport): Promise<Client> {
  const client = new Client({ name: "bench", version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function echo(client: Client, i: number): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await client.callTool({ name: "echo", arguments: { message: `call ${i}` } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.isError) throw new Error(`call ${i} was refused: ${JSON.stringify(result.content)}`);
  return ms;
}

/**
 * Latencies in milliseconds of the same sequence of echo calls made directly and through the
 * gateway, alternating call by call so that both see the same machine (load, disk, CPU frequency).
 */
async function measure(direct: Transport, gateway: Transport): Promise<{ direct: number[]; gateway: number[] }> {
  const clients = [await connect(direct), await connect(gateway)] as const;
  const samples = { direct: [] as number[], gateway: [] as number[] };
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const d = await echo(clients[0], i);
    const g = await echo(clients[1], i);
    if (i >= WARMUP) {
      samples.direct.push(d);
      samples.gateway.push(g);
    }
  }
  await Promise.all(clients.map((c) => c.close()));
  samples.direct.sort((a, b) => a - b);
  samples.gateway.sort((a, b) => a - b);
  return samples;
}

interface Row {
  path: string;
  direct: number[];
  gateway: number[];
}

function line(row: Row): string {
  const [d50, d99, g50, g99] = [percentile(row.direct, 50), percentile(row.direct, 99), percentile(row.gateway, 50), percentile(row.gateway, 99)];
  return `| ${row.path} | ${fmt(d50, 3)} / ${fmt(d99, 3)} | ${fmt(g50, 3)} / ${fmt(g99, 3)} | ${fmt(g50 - d50, 3)} / ${fmt(g99 - d99, 3)} |`;
}

/**
 * `--stub-gateway UPSTREAM...`: the stdio gateway with every call allowed at once and nothing
 * recorded, so the table can show what the gateway's own mechanics cost apart from the decision.
 */
async function stubGateway(upstream: string[]): Promise<void> {
  let n = 0;
  const point: DecisionPoint = {
    decide: (r) =>
      Promise.resolve({
        decision_id: `stub-${n++}`, time: "", outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: "", subject: { id: "bench-agent", type: "agent" },
        action: r.action, resource: r.resource, policy: { set_version: "", determining: [] }, obligations: [], args_digest: "", ledger: { index: n },
      }),
    refuse: () => Promise.reject(new Error("the stub gateway refuses nothing")),
    report: () => Promise.resolve(),
    approval: () => Promise.resolve(undefined),
    visible: (_subject, candidates) => Promise.resolve({ policy_version: "", caller: { ok: true, id: "bench-agent" }, visible: candidates.map(() => true) }),
    close: () => Promise.resolve(),
  };
  const [command, ...args] = upstream;
  await runWrap({ upstream: { kind: "stdio", command: command ?? process.execPath, args }, credential: "stub", serverName: "everything", point, limits: DEFAULT_LIMITS });
}

const SUPERGATEWAY = join(ROOT, "node_modules", "supergateway", "dist", "index.js");

/**
 * Streamable HTTP, two rows from one `arbiter serve`: (1) the upstream's own HTTP server directly
 * against /mcp/everything relaying to it; (2) the issue's relay baseline: `supergateway --stateful`
 * (a bare stdio→Streamable HTTP relay that decides and records nothing) against /mcp/everything-stdio,
 * both over the same stdio upstream command.
 */
async function measureHttp(dir: string, key: string, children: ChildProcess[]): Promise<Row[]> {
  const upstreamPort = await freePort();
  children.push(await startChild(process.execPath, [EVERYTHING, "streamableHttp"], /listening on port/, { PORT: String(upstreamPort) }));
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}/mcp`;
  addUpstream(dir, "everything", { url: upstreamUrl });
  addUpstream(dir, "everything-stdio", { command: process.execPath, args: [EVERYTHING, "stdio"] });
  const arbiterPort = await freePort();
  children.push(await startChild(process.execPath, [...profileFlags(), CLI, "serve", "--data", dir, "--port", String(arbiterPort), "--log-level", "error", "--checkpoint-interval", "1000"], /arbiter serving/));
  // Every client as the gateway's own upstream client is made: the SDK's one session signal per request otherwise piles listeners up (src/enforce/mcp/session-fetch.ts).
  const http = (url: string, headers?: Record<string, string>) => new StreamableHTTPClientTransport(new URL(url), { fetch: sessionScopedFetch(), ...(headers ? { requestInit: { headers } } : {}) });
  const arbiter = (name: string) => http(`http://127.0.0.1:${arbiterPort}/mcp/${name}`, { authorization: `Bearer ${key}` });
  const rows: Row[] = [{ path: "Streamable HTTP, HTTP upstream (`arbiter serve` /mcp/everything)", ...(await measure(http(upstreamUrl), arbiter("everything"))) }];
  const relayPort = await freePort();
  const relayArgs = [SUPERGATEWAY, "--stdio", `${JSON.stringify(process.execPath)} ${JSON.stringify(EVERYTHING)} stdio`, "--outputTransport", "streamableHttp", "--stateful", "--port", String(relayPort), "--logLevel", "info"];
  children.push(await startChild(process.execPath, relayArgs, /Listening on port/));
  rows.push({ path: RELAY_ROW, ...(await measure(http(`http://127.0.0.1:${relayPort}/mcp`), arbiter("everything-stdio"))) });
  return rows;
}

/** BENCH_PROFILE_DIR=dir writes CPU profiles of the stdio gateway and of `arbiter serve` there. */
function profileFlags(): string[] {
  return process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
}

const STDIO_ROW = "stdio (`arbiter mcp wrap`)";
const RELAY_ROW = "Streamable HTTP, stdio upstream: direct = `supergateway --stateful` (bare relay), gateway = `arbiter serve` /mcp/everything-stdio";

async function main(): Promise<void> {
  console.log(`bench:mcp | ${machineLine()}`);
  console.log(`${CALLS} sequential tools/call echo per path after ${WARMUP} warm-up calls, direct and through the gateway alternating call by call; gateway decisions in the local data directory, each durable (fsync) before the call is forwarded\n`);
  const root = mkdtempSync(join(tmpdir(), "arbiter-bench-mcp-"));
  const dir = join(root, "data");
  const children: ChildProcess[] = [];
  try {
    initLedgerDir(dir, { origin: "bench.arbiter.example/mcp" });
    const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
    const seeder = { id: "bench", type: "human" as const };
    await runtime.identities.create({ id: "alice", type: "human" }, seeder);
    await runtime.identities.create({ id: "bench-agent", type: "agent", owner: "alice", groups: ["developers"] }, seeder);
    await runtime.policies.activate(loadPolicyDir(POLICIES), seeder);
    const key = (await runtime.identities.issueApiKey("bench-agent", seeder)).key;
    const before = runtime.ledger.size();
    await runtime.close();

    const profile = profileFlags();
    const stdio = (args: string[]) => new StdioClientTransport({ command: process.execPath, args, stderr: "ignore" });
    // The WAL must stay bounded while decisions stream in. Sampled once a second only: a stat of the
    // WAL slows the gateway's next fdatasync (docs/architecture.md), so it must not touch many calls.
    let walPeak = 0;
    const walWatch = setInterval(() => {
      walPeak = Math.max(walPeak, statSync(join(dir, `${DATA_FILES.database}-wal`), { throwIfNoEntry: false })?.size ?? 0);
    }, 1000);
    const rows: Row[] = [];
    if (PART !== "http") {
      rows.push({
        path: STDIO_ROW,
        ...(await measure(stdio([EVERYTHING, "stdio"]), stdio([...profile, CLI, "mcp", "wrap", "--data", dir, "--credential", key, "--server-name", "everything", "--", process.execPath, EVERYTHING, "stdio"]))),
      });
    }
    clearInterval(walWatch);
    if (PART === "all") {
      rows.push({
        path: "stdio, decisions stubbed (gateway mechanics only, nothing recorded)",
        ...(await measure(stdio([EVERYTHING, "stdio"]), stdio(["--import", "tsx", join(ROOT, "bench", "mcp.ts"), "--stub-gateway", process.execPath, EVERYTHING, "stdio"]))),
      });
    }
    // The HTTP servers start only now: a second process writing to the same ledger (serve signs
    // checkpoints) is not part of the stdio path and would make its writes wait for locks.
    if (PART !== "stdio") rows.push(...(await measureHttp(dir, key, children)));
    for (const child of children.splice(0).reverse()) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }

    console.log("| path | direct p50 / p99 (ms) | through the gateway p50 / p99 (ms) | added p50 / p99 (ms) |");
    console.log("|---|---|---|---|");
    for (const row of rows) console.log(line(row));
    const check = openRuntime(dir, { checkpointIntervalMs: 0 });
    const decisions = check.ledger.reader.queryRecords({ kind: "decision", limit: 1_000_000 }).length;
    const enforcements = check.ledger.reader.queryRecords({ kind: "enforcement", limit: 1_000_000 }).length;
    const appended = check.ledger.size() - before;
    await check.close();
    const calls = (PART === "stdio" ? 1 : PART === "http" ? 2 : 3) * (WARMUP + CALLS);
    console.log(`\nWAL file: largest size seen (sampled each second) during the stdio run ${(walPeak / 2 ** 20).toFixed(1)} MiB`);
    console.log(`ledger: ${decisions} decision records and ${enforcements} enforcement records for ${calls} gateway calls (${appended} entries appended)`);
    const stdioRow = rows.find((r) => r.path === STDIO_ROW);
    if (stdioRow) {
      const added50 = percentile(stdioRow.gateway, 50) - percentile(stdioRow.direct, 50);
      const added99 = percentile(stdioRow.gateway, 99) - percentile(stdioRow.direct, 99);
      console.log(`target over stdio: added p50 < ${TARGET.p50} ms — ${added50 < TARGET.p50 ? "met" : "NOT met"} (${fmt(added50, 3)} ms); added p99 < ${TARGET.p99} ms — ${added99 < TARGET.p99 ? "met" : "NOT met"} (${fmt(added99, 3)} ms)`);
    }
    const relay = rows.find((r) => r.path === RELAY_ROW);
    if (relay) {
      const [r50, r99, a50, a99] = [percentile(relay.direct, 50), percentile(relay.direct, 99), percentile(relay.gateway, 50), percentile(relay.gateway, 99)];
      console.log(`target over Streamable HTTP: p50 and p99 no higher than the bare relay's — p50 ${a50 <= r50 ? "met" : "NOT met"} (${fmt(a50, 3)} vs ${fmt(r50, 3)} ms, ${fmt(a50 / r50, 2)}x); p99 ${a99 <= r99 ? "met" : "NOT met"} (${fmt(a99, 3)} vs ${fmt(r99, 3)} ms, ${fmt(a99 / r99, 2)}x)`);
    }
    if (decisions !== calls || enforcements !== calls) console.log("WARNING: not every call has its decision and enforcement record");
  } finally {
    for (const child of children) child.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--stub-gateway") await stubGateway(process.argv.slice(3));
else await main();
