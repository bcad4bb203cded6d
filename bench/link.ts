// npm run bench:link — events linked per second and peak memory, 1M synthetic events against 1M decisions.
// The parent builds the ledger and the event file; a child process runs the linkage alone, so its
// peak RSS (VmHWM) is the linkage's, not the build's.
import { spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { progressBar } from "../src/cli/progress.js";
import { initLedgerDir, openLedger } from "../src/ledger/index.js";
import { syncDecisionKeys, type LinkageSummary } from "../src/linkage/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { fmt, machineLine } from "./machine.js";

const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 1_000_000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const WINDOW = 4096;
const TARGET_EPS = 50_000;
/** Raised once the first target was met: end to end, index load included, on a million events. */
const RAISED_END_TO_END = 100_000;
const TARGET_RSS = 2 ** 30;
const BASE = Date.parse("2026-11-24T00:00:00Z");
const SUBJECTS = 1000;

const traceOf = (i: number): string => (i + 1).toString(16).padStart(32, "0");
const timeOf = (i: number): number => BASE + i * 20;
const subjectOf = (i: number): string => `agent-${i % SUBJECTS}`;
const actionOf = (i: number): string => `tools/call:tool_${i % 50}`;
const resourceOf = (i: number): string => `mcp://tools/${i % 50}/item-${i}`;

function decisionRecord(i: number, id: string): Record<string, unknown> {
  const deny = i % 200 === 0;
  return {
    kind: "decision",
    id,
    time: new Date(timeOf(i)).toISOString(),
    subject: { id: subjectOf(i), type: "agent", owner: "alice", credential: { id: `key_${(i % SUBJECTS).toString(16).padStart(16, "0")}`, kind: "api_key" } },
    action: actionOf(i),
    resource: { id: resourceOf(i), type: "tool" },
    outcome: deny ? "deny" : "allow",
    control: "access",
    reason_code: deny ? "POLICY_FORBID" : "POLICY_PERMIT",
    note: deny ? "Agents may not call this tool on this item." : "Agents may call project tools.",
    policy: { set_version: "sha256:bench", determining: ["bench-policy"], engine: "arbiter" },
    correlation: { trace_id: traceOf(i) },
  };
}

/** A mix of join keys, as a real estate of PEPs and services would log them; 1 event in 50 has no decision. */
function eventLine(i: number, ids: string[]): string {
  const d = (i * 7919) % DECISIONS;
  const mix = i % 50;
  const base = { id: `evt-${i}`, time: new Date(timeOf(d) + 50).toISOString(), subject: subjectOf(d), action: actionOf(d), resource: resourceOf(d), status: 200 };
  if (mix < 20) return JSON.stringify({ ...base, headers: { "x-arbiter-decision-id": ids[d] } });
  if (mix < 33) return JSON.stringify({ ...base, headers: { traceparent: `00-${traceOf(d)}-00f067aa0ba902b7-01` } });
  if (mix < 41) return JSON.stringify({ ...base, key_id: `key_${(d % SUBJECTS).toString(16).padStart(16, "0")}` });
  if (mix < 49) return JSON.stringify(base);
  return JSON.stringify({ ...base, resource: `mcp://tools/unknown/${i}` });
}

async function build(dir: string, eventsFile: string): Promise<{ buildSeconds: number; syncSeconds: number }> {
  initLedgerDir(dir, { origin: "bench.arbiter.example/link" });
  const { ledger, store } = openLedger(dir, { checkpointIntervalMs: 0 });
  const ids: string[] = new Array<string>(DECISIONS);
  const progress = progressBar("decisions");
  const started = process.hrtime.bigint();
  const { newRecordId } = await import("../src/record/index.js");
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    const id = newRecordId(timeOf(i));
    ids[i] = id;
    inFlight.push(ledger.append(decisionRecord(i, id)));
    if (inFlight.length >= WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
      progress(i + 1, DECISIONS);
    }
  }
  await Promise.all(inFlight);
  progress.stop();
  const buildSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const syncStarted = process.hrtime.bigint();
  await syncDecisionKeys(store.linkage, ledger);
  const syncSeconds = Number(process.hrtime.bigint() - syncStarted) / 1e9;
  await ledger.close();
  const out = createWriteStream(eventsFile);
  for (let i = 0; i < EVENTS; i++) {
    if (!out.write(`${eventLine(i, ids)}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(resolve));
  return { buildSeconds, syncSeconds };
}

function peakRss(): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return hwm ? Number(hwm[1]) * 1024 : process.memoryUsage().rss;
}

/** The child: one linkage run over the file, as `arbiter link` would do it. */
async function linkOnce(dir: string, eventsFile: string): Promise<void> {
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  const { linkage } = runtime;
  const progress = progressBar("link");
  const started = process.hrtime.bigint();
  const summary = await linkage.run({ path: eventsFile }, { format: "jsonl", actor: { id: "bench", type: "human" }, windowSeconds: 60, onProgress: progress });
  progress.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await runtime.close();
  process.stdout.write(`${JSON.stringify({ summary, seconds, peak_rss: peakRss() })}\n`);
}

async function main(): Promise<void> {
  if (process.argv[2] === "--link") return linkOnce(process.argv[3] as string, process.argv[4] as string);
  console.log(`bench:link | ${machineLine()}`);
  const root = mkdtempSync(join(tmpdir(), "arbiter-bench-link-"));
  try {
    const dir = join(root, "data");
    const eventsFile = join(root, "events.jsonl");
    const { buildSeconds, syncSeconds } = await build(dir, eventsFile);
    // BENCH_PROFILE_DIR=dir writes a CPU profile of the linkage process there (for `node --cpu-prof` readers).
    const profile = process.env.BENCH_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : [];
    const child = spawnSync(process.execPath, [...profile, "--import", "tsx", join(import.meta.dirname, "link.ts"), "--link", dir, eventsFile], { stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 << 20 });
    if (child.status !== 0) throw new Error(`the linkage child failed with status ${String(child.status)}`);
    const result = JSON.parse(child.stdout.toString("utf8").trim().split("\n").at(-1) as string) as { summary: LinkageSummary; seconds: number; peak_rss: number };
    const s = result.summary;
    const endToEnd = s.events / result.seconds;
    console.log(`\n${fmt(DECISIONS, 0)} decisions (ledger appends, ${fmt(buildSeconds, 1)} s), then ${fmt(EVENTS, 0)} JSON-lines events linked in one run`);
    console.log(`  decision keys indexed from the leaves (one-time, incremental): ${fmt(syncSeconds, 1)} s (${fmt(DECISIONS / syncSeconds, 0)} decisions/s)`);
    console.log(`  join table loaded: ${fmt(s.index.load_ms / 1000, 2)} s for ${fmt(s.index.decisions, 0)} decisions`);
    console.log(`  linked ${fmt(s.linked, 0)} of ${fmt(s.events, 0)} (coverage ${fmt((s.coverage ?? 0) * 100, 1)}%): ${Object.entries(s.by_key).map(([k, n]) => `${k} ${fmt(n, 0)}`).join(", ")}`);
    console.log(`  findings: ${Object.entries(s.findings).map(([k, n]) => `${k} ${fmt(n, 0)}`).join(", ")}; records: ${fmt(s.records.link, 0)} link, ${fmt(s.records.finding, 0)} finding`);
    console.log(`  events linked per second (join loop, records and rows included): ${fmt(s.events_per_second, 0)} /s — target ≥ ${fmt(TARGET_EPS, 0)} /s: ${s.events_per_second >= TARGET_EPS ? "met" : "NOT met"}`);
    const raised = EVENTS < 1_000_000 ? "not measured (fewer than 1M events)" : endToEnd >= RAISED_END_TO_END ? "met" : "NOT met";
    console.log(`  end to end (index load and run summary included): ${fmt(endToEnd, 0)} /s in ${fmt(result.seconds, 1)} s — raised target ≥ ${fmt(RAISED_END_TO_END, 0)} /s: ${raised}`);
    console.log(`  peak RSS of the linkage process (VmHWM): ${fmt(result.peak_rss / 2 ** 20, 0)} MiB — target < 1024 MiB: ${result.peak_rss < TARGET_RSS ? "met" : "NOT met"}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
