// The body of verifyInWorker's thread: its own connection to the data directory, a full verify, progress as messages.
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { DATA_FILES } from "../store/index.js";
import { openLedger } from "./open.js";
import { dataDirCheckpoint } from "./rollback.js";
import { verifyLedger } from "./verify.js";

export interface VerifyWorkerData {
  dir: string;
}

export type VerifyWorkerMessage =
  | { type: "progress"; done: number; total: number }
  | { type: "done"; report: ReturnType<typeof verifyLedger> }
  | { type: "error"; message: string };

// A message per entry would cost more than the check; a few hundred per run are enough for a progress bar.
const PROGRESS_EVERY = 2048;

async function run(port: NonNullable<typeof parentPort>, data: VerifyWorkerData): Promise<void> {
  const post = (message: VerifyWorkerMessage): void => port.postMessage(message);
  try {
    const outside = dataDirCheckpoint(join(data.dir, DATA_FILES.checkpoint));
    // As `arbiter log verify`: a rolled-back log is reported as the finding, not refused at opening.
    const { ledger } = openLedger(data.dir, { checkpointIntervalMs: 0, rollbackCheck: false });
    try {
      const report = verifyLedger(ledger.reader, ledger.verifier, ledger.origin, {
        outside,
        onProgress: (done, total) => {
          if (done % PROGRESS_EVERY === 0 || done === total) post({ type: "progress", done, total });
        },
      });
      post({ type: "done", report });
    } finally {
      await ledger.close();
    }
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
}

if (parentPort) void run(parentPort, workerData as VerifyWorkerData);
