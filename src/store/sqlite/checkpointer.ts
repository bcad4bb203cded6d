// WAL checkpoints on a worker thread, so that copying the WAL into the database and its fsyncs never
// stall the event loop that answers decisions (SQLite's automatic checkpoint runs inside a COMMIT).
import { Worker } from "node:worker_threads";
import { workerModuleUrl } from "../worker-module.js";
import type { CheckpointWorkerData } from "./checkpoint-worker.js";

export interface CheckpointerOptions {
  /** How often the worker folds new WAL frames into the database. */
  intervalMs?: number;
  /** WAL frames (pages) past which the worker asks for the WAL to be started over (see BackgroundCheckpointer). */
  restartFrames?: number;
}

/** 16,384 frames of 4 KiB pages: the WAL file stays near 64 MiB however long writes keep coming. */
const DEFAULT_RESTART_FRAMES = 16_384;
const DEFAULT_INTERVAL_MS = 200;

/**
 * The worker (checkpoint-worker.ts) has its own connection and runs a passive checkpoint every
 * interval, which never blocks the writer. SQLite starts the WAL over only when a write begins after a
 * checkpoint has copied every frame, and a passive checkpoint never catches up with a writer that
 * commits every millisecond or so: the WAL then grows without end (measured: 84 MiB after 2,200 MCP
 * calls) and every commit writes to a growing file. So once a round leaves restartFrames or more in
 * the WAL, the worker asks the writer to restart it (onRestartWanted).
 */

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;

  /**
   * onRestartWanted: the WAL is long and mostly copied; the writer should restart it when it can.
   * onFailed: the worker could not run (it never throws into the writer's process); the writer goes
   * back to SQLite's automatic checkpoint.
   */
  constructor(databasePath: string, onRestartWanted: () => void, onFailed: (error: Error) => void, options: CheckpointerOptions = {}) {
    const workerData: CheckpointWorkerData = {
      path: databasePath,
      intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
      restartFrames: options.restartFrames ?? DEFAULT_RESTART_FRAMES,
    };
    this.worker = new Worker(workerModuleUrl(import.meta.url, "checkpoint-worker"), { workerData });
    this.worker.on("message", () => onRestartWanted());
    this.worker.on("error", onFailed);
    this.exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.unref();
  }

  /** Asks the worker for a last checkpoint and waits for it to exit (at once if it already has). */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.worker.postMessage("stop");
      this.stopping = this.exited;
    }
    return this.stopping;
  }
}
