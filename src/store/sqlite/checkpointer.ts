// WAL checkpoints on a worker thread, so that copying the WAL into the database and its fsyncs never
// stall the event loop that answers decisions (SQLite's automatic checkpoint runs inside a COMMIT).
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const require = createRequire(import.meta.url);

export interface CheckpointerOptions {
  /** How often the worker folds new WAL frames into the database. */
  intervalMs?: number;
  /** WAL frames (pages) past which the worker makes the writer start the WAL over (see WORKER_SOURCE). */
  restartFrames?: number;
}

/** 4,096 frames of 4 KiB pages: the WAL file stays near 16 MiB however long writes keep coming. */
const DEFAULT_RESTART_FRAMES = 4096;
const DEFAULT_INTERVAL_MS = 200;

/**
 * Runs in the worker: its own connection and a passive checkpoint every interval, which never blocks
 * the writer. SQLite starts the WAL over only when a write begins after a checkpoint has copied every
 * frame; a passive checkpoint never catches up with a writer that commits every millisecond or so,
 * and the WAL then grows without end (measured: 84 MiB after 2,200 MCP calls), which also makes each
 * fsync slower (the file's size changes with every commit). So once the WAL holds restartFrames,
 * the worker runs a RESTART checkpoint: it holds the write lock only to copy the few frames committed
 * since the passive one, and the next write starts the WAL from its beginning. busy_timeout 0: when
 * the writer is mid-commit or a reader still needs the WAL, it gives up and retries next round
 * rather than making the writer wait behind it.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 0");
function round() {
  try {
    const [passive] = db.pragma("wal_checkpoint(PASSIVE)");
    if (passive && passive.log >= workerData.restartFrames) db.pragma("wal_checkpoint(RESTART)");
  } catch { /* busy or closing: the next round retries */ }
}
const timer = setInterval(round, workerData.intervalMs);
parentPort.on("message", () => {
  clearInterval(timer);
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch { /* best effort */ }
  db.close();
  parentPort.close();
});
`;

export class BackgroundCheckpointer {
  private readonly worker: Worker;

  constructor(databasePath: string, options: CheckpointerOptions = {}) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        path: databasePath,
        driver: require.resolve("better-sqlite3"),
        intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
        restartFrames: options.restartFrames ?? DEFAULT_RESTART_FRAMES,
      },
    });
    this.worker.unref();
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once("exit", () => resolve()));
    this.worker.postMessage("stop");
    await exited;
  }
}
