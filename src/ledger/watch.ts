// A background watch over a running process's ledger: the database file stays the one opened, new
// entries hash as stored, the latest signed checkpoint is still held, and on a schedule everything
// `arbiter log verify` checks. It runs on a worker thread with its own read-only connection, so that
// reading every entry never stalls the event loop that answers decisions.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { DATA_FILES, storeLocation, workerModuleUrl } from "../store/index.js";
import type { Ledger } from "./ledger.js";
import { fileIdentity, type WatchProblem } from "./watch-check.js";
import type { WatchReport, WatchWorkerData } from "./watch-worker.js";

export type { WatchProblem } from "./watch-check.js";

export interface LedgerWatchOptions {
  /** How often entries appended since the last round are checked (with the file and the latest checkpoint). */
  intervalMs: number;
  /** How often every entry and query-table row is verified again; 0: only once, at start. */
  fullIntervalMs: number;
  /** Called once, when a problem is first found. */
  onProblem?: (problem: WatchProblem) => void;
}

export interface LedgerWatchStatus {
  /** starting: no round finished yet; unreadable: the last round could not read the store. */
  state: "starting" | "ok" | "tampered" | "unreadable";
  checked_at: string | null;
  full_verified_at: string | null;
  verified_entries: number;
  rounds: { incremental: number; full: number };
  problem?: WatchProblem;
  error?: string;
}

export class LedgerWatch {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private current: LedgerWatchStatus = { state: "starting", checked_at: null, full_verified_at: null, verified_entries: 0, rounds: { incremental: 0, full: 0 } };

  /** Starts watching the ledger of data directory `dir` as it is now: a file deleted or replaced from here on is a problem. */
  constructor(dir: string, ledger: Ledger, options: LedgerWatchOptions) {
    const location = storeLocation(dir);
    // An embedded store is a file that can be deleted or swapped under the process; a server's is not.
    const path = location.engine === "sqlite" ? location.path : undefined;
    const opened = path === undefined ? undefined : fileIdentity(path);
    if (path !== undefined && opened === undefined) throw new Error(`${path} is gone`);
    const workerData: WatchWorkerData = {
      location,
      path,
      checkpointFile: join(dir, DATA_FILES.checkpoint),
      vkey: ledger.vkey,
      origin: ledger.origin,
      opened,
      intervalMs: options.intervalMs,
      fullIntervalMs: options.fullIntervalMs,
    };
    this.worker = new Worker(workerModuleUrl(import.meta.url, "watch-worker"), { workerData });
    this.worker.on("message", (report: WatchReport) => this.take(report, options.onProblem));
    this.worker.on("error", (err) => {
      this.current = { ...this.current, state: this.current.problem ? "tampered" : "unreadable", error: `the ledger watch stopped: ${err.message}` };
    });
    this.exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.unref();
  }

  private take(report: WatchReport, onProblem: ((problem: WatchProblem) => void) | undefined): void {
    const first = report.problem !== undefined && this.current.problem === undefined;
    const rounds = { ...this.current.rounds, [report.full ? "full" : "incremental"]: this.current.rounds[report.full ? "full" : "incremental"] + 1 };
    const { problem: _p, error: _e, ...rest } = this.current;
    this.current = {
      ...rest,
      state: report.problem ? "tampered" : report.error ? "unreadable" : "ok",
      checked_at: report.at,
      ...(report.full && !report.problem && !report.error ? { full_verified_at: report.at } : {}),
      verified_entries: report.verified,
      rounds,
      ...(report.problem ? { problem: report.problem } : {}),
      ...(report.error ? { error: report.error } : {}),
    };
    if (first && report.problem) onProblem?.(report.problem);
  }

  status(): LedgerWatchStatus {
    return this.current;
  }

  /** Stops the worker and waits for it to exit. */
  close(): Promise<void> {
    // Held while it stops: an unreferenced worker alone would let the process exit mid-await.
    this.worker.ref();
    this.worker.postMessage("stop");
    return this.exited;
  }
}
