// npm run bench:ledger — durable appends/s (group commit vs one transaction per record),
// proof latency at 1M entries, and full verify of 1M entries (with and without the query tables), in one run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { availableParallelism, loadavg } from "node:os";
import { initLedgerDir, openLedger, verifyLedger, verifyLedgerInParallel, type LedgerVerification } from "../src/ledger/index.js";
import { fmt, machineLine, percentile } from "./machine.js";
import { appendMany, decisionLike } from "./records.js";

const LARGE = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const BASELINE_RECORDS = 5_000;
function freshDir(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "arbiter-bench-")), name);
  initLedgerDir(dir, { origin: `bench.arbiter.example/${name}` });
  return dir;
}

function timeEach(n: number, fn: (i: number) => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return samples.sort((a, b) => a - b);
}

/** Group sizes a server's commits see (one caller at a time; a proxy's few concurrent checks; a busy API). */
const GROUPS = [1, 6, 16];

/**
 * Appends awaited in groups of `size`, as a server's concurrent requests make them: CPU time of the whole
 * process (every thread: the WAL checkpointer, the fsyncs) and wall time per append, after a warm-up.
 */
async function inGroups(size: number, count: number): Promise<{ cpu: number; wall: number }> {
  const dir = freshDir(`groups-${size}`);
  const { ledger } = openLedger(dir, { checkpointIntervalMs: 1000 });
  try {
    const round = (from: number, to: number) => async () => {
      for (let i = from; i < to; i += size) await Promise.all(Array.from({ length: size }, (_, k) => ledger.append(decisionLike(i + k))));
    };
    await round(0, 2000)();
    const cpu = process.cpuUsage();
    const started = process.hrtime.bigint();
    await round(2000, 2000 + count)();
    const used = process.cpuUsage(cpu);
    return { cpu: (used.user + used.system) / count, wall: Number(process.hrtime.bigint() - started) / 1e3 / count };
  } finally {
    await ledger.close();
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
}

async function groups(): Promise<void> {
  console.log("\nappends awaited in groups (a server's commits): CPU of the process and wall time per append");
  for (const size of GROUPS) {
    const { cpu, wall } = await inGroups(size, size === 1 ? 5_000 : 30_000);
    console.log(`  groups of ${String(size).padStart(2)}: CPU ${fmt(cpu, 1)} us/append, wall ${fmt(wall, 1)} us/append`);
  }
}

async function main(): Promise<void> {
  console.log(`bench:ledger | ${machineLine()}`);
  // BENCH_PART=groups: only the appends in groups (quick, for comparing two checkouts).
  if (process.env.BENCH_PART === "groups") return groups();
  const dirs: string[] = [];

  const baselineDir = freshDir("baseline");
  dirs.push(baselineDir);
  const baseline = openLedger(baselineDir, { groupCommit: false, checkpointIntervalMs: 0 }).ledger;
  const baselineSeconds = await appendMany(baseline, BASELINE_RECORDS);
  await baseline.close();
  const baselineRate = BASELINE_RECORDS / baselineSeconds;

  const largeDir = freshDir("group");
  dirs.push(largeDir);
  const { ledger, store } = openLedger(largeDir, { checkpointIntervalMs: 1000 });
  const groupSeconds = await appendMany(ledger, LARGE, (done) => {
    if (process.stderr.isTTY && done % 65536 === 0) process.stderr.write(`\rappending ${done}/${LARGE}`);
  });
  if (process.stderr.isTTY) process.stderr.write("\n");
  const groupRate = LARGE / groupSeconds;

  console.log("\ndurable appends (group commit: acknowledged after an fdatasync of the WAL covering the commit; per record: synchronous=FULL, fsync inside COMMIT)");
  console.log(`  one transaction per record: ${fmt(baselineRate, 0)} appends/s (${BASELINE_RECORDS} records)`);
  console.log(`  group commit:               ${fmt(groupRate, 0)} appends/s (${LARGE} records)`);
  console.log(`  ratio:                      ${fmt(groupRate / baselineRate)}x   target >= 20,000 appends/s: ${groupRate >= 20_000 ? "met" : "MISSED"}; raised target >= 50,000 appends/s: ${groupRate >= 50_000 ? "met" : "MISSED"}`);
  await groups();

  const cp = ledger.checkpoint();
  const inclusion = timeEach(2000, () => ledger.proveInclusion(Math.floor(Math.random() * cp.size)));
  const consistency = timeEach(2000, () => ledger.proveConsistency(1 + Math.floor(Math.random() * (cp.size - 1))));
  console.log(`\nproofs at ${cp.size} entries (tlog-proof text, stored hashes)`);
  console.log(`  inclusion:   p50 ${fmt(percentile(inclusion, 50))} us  p99 ${fmt(percentile(inclusion, 99))} us   target p50 < 1 ms: ${percentile(inclusion, 50) < 1000 ? "met" : "MISSED"}`);
  console.log(`  consistency: p50 ${fmt(percentile(consistency, 50))} us  p99 ${fmt(percentile(consistency, 99))} us`);

  // The Merkle check alone is the baseline; the full verify also recomputes every query-table row from its leaf.
  const timed = async (run: () => LedgerVerification | Promise<LedgerVerification>) => {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const report = await run();
    const used = process.cpuUsage(cpu);
    // CPU time of every thread of this process: on a shared machine the wall time says little, this does.
    return { report, seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu: (used.user + used.system) / 1e6 };
  };
  const both = (r: { seconds: number; cpu: number }): string => `${fmt(r.seconds, 2)} s (CPU ${fmt(r.cpu, 2)} s)`;
  const merkleOnly = await timed(() => verifyLedger(ledger.reader, ledger.verifier, ledger.origin, { indexes: false }));
  const full = await timed(() => verifyLedger(ledger.reader, ledger.verifier, ledger.origin));
  // Serial and parallel alternate, twice each, so that a change in the machine's load shows as a spread, not as a ratio.
  const parallel = await timed(() => verifyLedgerInParallel(ledger.reader, store.location, ledger.verifier, ledger.origin));
  const full2 = await timed(() => verifyLedger(ledger.reader, ledger.verifier, ledger.origin));
  const parallel2 = await timed(() => verifyLedgerInParallel(ledger.reader, store.location, ledger.verifier, ledger.origin));
  const parallelMerkle = await timed(() => verifyLedgerInParallel(ledger.reader, store.location, ledger.verifier, ledger.origin, { indexes: false }));
  const report = full.report;
  const ok = (r: { report: LedgerVerification }): string => (r.report.ok ? "ok" : "FAILED");
  const same = [parallel, parallel2].every((r) => r.report.root === report.root && r.report.entries === report.entries && r.report.ok === report.ok);
  const serialBest = Math.min(full.seconds, full2.seconds);
  const parallelBest = Math.min(parallel.seconds, parallel2.seconds);
  console.log(`\nverify of ${report.entries} entries and ${report.checkpoints} checkpoints (load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}, ${availableParallelism()} cores)`);
  console.log(`  hashes and checkpoints only, one thread (baseline): ${both(merkleOnly)} (${ok(merkleOnly)})`);
  console.log(`  hashes and checkpoints only, parallel:              ${both(parallelMerkle)} (${ok(parallelMerkle)})`);
  console.log(`  full, with record_index and record_policies recomputed from the leaves:`);
  console.log(`    one thread: ${both(full)}, ${both(full2)} (${ok(full)}, ${ok(full2)})`);
  console.log(`    parallel:   ${both(parallel)}, ${both(parallel2)} (${ok(parallel)}, ${ok(parallel2)}; same root and entries as one thread: ${same ? "yes" : "NO"})`);
  console.log(`  ratio one thread / parallel (best of two each): ${fmt(serialBest / parallelBest)}x   target full verify of 1M < 2 s: ${report.entries >= 1_000_000 && parallelBest < 2 ? "met" : report.entries < 1_000_000 ? "not measured (fewer than 1M entries)" : "MISSED"}`);
  console.log(`  ratio full / hashes only (one thread): ${fmt(serialBest / merkleOnly.seconds)}x`);
  await ledger.close();
  for (const dir of dirs) rmSync(join(dir, ".."), { recursive: true, force: true });
}

await main();
