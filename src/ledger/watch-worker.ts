// The body of LedgerWatch's worker thread (see watch.ts): its own read-only connection, the cheap checks
// every interval and the full verify on a schedule, each round reported to the parent. A problem found
// is final: the worker stops checking and keeps reporting it, so restoring the file cannot clear it.
import { parentPort, workerData } from "node:worker_threads";
import { openStoreReader, type StoreLocation } from "../store/index.js";
import { verifierFromVkey } from "./note.js";
import { TailCheck, fileProblem, fullCheck, rollbackCheck, type FileIdentity, type WatchCheck, type WatchProblem } from "./watch-check.js";

export interface WatchWorkerData {
  /** The store the worker reads, on a read-only connection of its own. */
  location: StoreLocation;
  /** The database file, watched for being deleted or replaced. */
  /** The embedded store's file; undefined for a store on a server. */
  path: string | undefined;
  checkpointFile: string;
  vkey: string;
  origin: string;
  /** The database file as the ledger opened it. */
  opened: FileIdentity | undefined;
  intervalMs: number;
  /** 0: no full verify after the first one. */
  fullIntervalMs: number;
}

export interface WatchReport {
  check: WatchCheck;
  at: string;
  /** Entries whose hashes were recomputed and matched, by the tail check or the last full verify. */
  verified: number;
  full: boolean;
  problem?: WatchProblem;
  /** The round could not read the store (not a finding: the next round tries again). */
  error?: string;
}

function run(port: NonNullable<typeof parentPort>, data: WatchWorkerData): void {
  const verifier = verifierFromVkey(data.vkey);
  const store = openStoreReader(data.location);
  const tail = new TailCheck();
  let problem: WatchProblem | undefined;
  let fullVerified = 0;

  const round = (full: boolean): void => {
    const at = new Date().toISOString();
    if (problem !== undefined) return;
    try {
      problem = (data.path !== undefined && data.opened !== undefined ? fileProblem(data.path, data.opened) : undefined) ?? tail.check(store) ?? rollbackCheck(store, data.checkpointFile, verifier, data.origin);
      if (problem === undefined && full) {
        const result = fullCheck(store, data.checkpointFile, verifier, data.origin);
        problem = result.problem;
        fullVerified = result.entries;
      }
      const report: WatchReport = { check: problem?.check ?? (full ? "full" : "incremental"), at, verified: Math.max(tail.checked, fullVerified), full, ...(problem ? { problem } : {}) };
      port.postMessage(report);
    } catch (err) {
      const report: WatchReport = { check: full ? "full" : "incremental", at, verified: tail.checked, full, error: err instanceof Error ? err.message : String(err) };
      port.postMessage(report);
    }
  };

  round(true);
  const timers = [setInterval(() => round(false), data.intervalMs)];
  if (data.fullIntervalMs > 0) timers.push(setInterval(() => round(true), data.fullIntervalMs));
  port.on("message", () => {
    for (const timer of timers) clearInterval(timer);
    store.close();
    port.close();
  });
}

if (parentPort) run(parentPort, workerData as WatchWorkerData);
