// npm run bench:scale — POST /v1/decisions with every record durable before its answer, in one run:
// `arbiter serve --workers N` on the embedded SQLite store for N = 1, 2, 3 (the baseline), and 1, 2, 3
// replicas on one PostgreSQL store (copies of one data directory, each `serve --workers 1` on its own
// port, the load's connections dealt round-robin over them); decisions/s, p50/p99 and CPU per decision
// from /proc (every serving process; on PostgreSQL also the server's backends, when local), each row
// against one SQLite process. Then the append throughput of the PostgreSQL ledger against the SQLite
// one (group commit). Varied requests, like bench:decide's (a different path each time, so every
// request is evaluated by Cedar). Every answer is checked (an allow is expected); a run with more than
// 1% refusals or errors fails the bench, and `arbiter log verify` checks every run's ledger.
// BENCH_PG_URL names the PostgreSQL server (its rows are skipped, saying so, when none answers there).
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, machineLine } from "./machine.js";
import { APPEND_WINDOW } from "./records.js";
import { PG_URL, PgBench, appendThroughput, replicaRun } from "./scale-pg.js";
import { CONNECTIONS, DISTINCT_PATHS, decisionLoad, seed, startServer, stopServer, verifyLog, type LoadFigures } from "./scale-serve.js";

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const counts = (text: string): number[] => text.split(",").map(Number);
const WORKERS = counts(process.env.BENCH_WORKERS ?? "1,2,3");
const REPLICAS = counts(process.env.BENCH_REPLICAS ?? "1,2,3");
const APPEND_RECORDS = Number(process.env.BENCH_APPEND_RECORDS ?? 20_000);
const work = mkdtempSync(join(tmpdir(), "arbiter-bench-scale-"));

interface Row extends LoadFigures {
  label: string;
}

async function sqliteRun(workers: number): Promise<LoadFigures> {
  const dir = join(work, `data-${workers}`);
  const pep = await seed(dir);
  const title = `--workers ${workers}`;
  const server = await startServer(dir, workers);
  try {
    const figures = await decisionLoad(title, [server], pep, DURATION);
    await stopServer(server);
    verifyLog(dir, title);
    return figures;
  } finally {
    await stopServer(server);
  }
}

async function timed(label: string, run: () => Promise<LoadFigures>): Promise<Row> {
  const before = loadavg()[0] ?? 0;
  const row = { label, ...(await run()) };
  const db = row.dbCpuPerDecisionUs === undefined ? "" : `   PostgreSQL CPU ${fmt(row.dbCpuPerDecisionUs, 0)} µs/decision`;
  console.log(`   ${label.padEnd(12)} ${fmt(row.rps, 0).padStart(6)} decisions/s   p50 ${fmt(row.p50)} ms   p99 ${fmt(row.p99)} ms   server CPU ${fmt(row.cpuPerDecisionUs, 0)} µs/decision${db}   load average ${fmt(before, 2)} → ${fmt(loadavg()[0] ?? 0, 2)}`);
  return row;
}

function ratios(rows: readonly Row[], base: Row | undefined, baseName: string): void {
  if (!base) return;
  for (const row of rows) {
    if (row === base) continue;
    const db = row.dbCpuPerDecisionUs === undefined ? "" : ` (${fmt((row.cpuPerDecisionUs + row.dbCpuPerDecisionUs) / base.cpuPerDecisionUs, 2)}x with PostgreSQL's)`;
    console.log(`   ${row.label} / ${baseName}: ${fmt(row.rps / base.rps, 2)}x decisions/s, ${fmt(row.cpuPerDecisionUs / base.cpuPerDecisionUs, 2)}x server CPU per decision${db}`);
  }
}

async function main(): Promise<void> {
  console.log(`bench:scale | ${machineLine()} | ${availableParallelism()} cores`);
  console.log(`POST /v1/decisions, ${CONNECTIONS} connections, ${DURATION} s after a 2 s warm-up, ${DISTINCT_PATHS.toLocaleString("en-US")} different paths; load generator in this process; every answer checked and durable`);
  console.log("\nSQLite store (one data directory, serve --workers N)");
  const sqlite: Row[] = [];
  for (const workers of WORKERS) sqlite.push(await timed(`--workers ${workers}`, () => sqliteRun(workers)));
  const base = sqlite.find((r) => r.label === "--workers 1");
  ratios(sqlite, base, "--workers 1");
  console.log("   log verify passed on each run's ledger");

  const pg = PgBench.connect(PG_URL);
  if (typeof pg === "string") {
    console.log(`\nPostgreSQL rows skipped: no PostgreSQL answers at BENCH_PG_URL (${pg})`);
    return;
  }
  try {
    console.log(`\nPostgreSQL store at ${pg.shownUrl} (N replicas: copies of one data directory, each serve --workers 1 on its own port; connections round-robin)`);
    const replicated: Row[] = [];
    for (const n of REPLICAS) replicated.push(await timed(`${n} replica${n === 1 ? "" : "s"}`, () => replicaRun(pg, work, n, DURATION)));
    ratios(replicated, base, "--workers 1 on SQLite");
    console.log("   log verify passed on each run's ledger (on every replica's copy)");

    console.log(`\nappend throughput, group commit, ${APPEND_RECORDS.toLocaleString("en-US")} records each with up to ${APPEND_WINDOW.toLocaleString("en-US")} in flight (openLedger in this process)`);
    const appends = await appendThroughput(pg, work, APPEND_RECORDS);
    console.log(`   SQLite ${fmt(appends.sqlite, 0)} appends/s   PostgreSQL ${fmt(appends.postgres, 0)} appends/s   PostgreSQL / SQLite: ${fmt(appends.postgres / appends.sqlite, 2)}x`);
  } finally {
    pg.close();
  }
}

try {
  await main();
} catch (err) {
  console.error(`\nbench:scale FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
