// A full ledger verify on a worker thread, so that a server keeps answering while it runs (verifyLedger is synchronous).
import { Worker } from "node:worker_threads";
import { workerModuleUrl } from "../store/index.js";
import { ArbiterError } from "../record/errors.js";
import type { LedgerVerification } from "./verify.js";
import type { VerifyWorkerData, VerifyWorkerMessage } from "./verify-worker.js";

/** Verifies the ledger of data directory `dir` on its own connection and thread; onProgress sees entries checked of total. */
export function verifyInWorker(dir: string, onProgress: (done: number, total: number) => void): Promise<LedgerVerification> {
  return new Promise((resolve, reject) => {
    const workerData: VerifyWorkerData = { dir };
    const worker = new Worker(workerModuleUrl(import.meta.url, "verify-worker"), { workerData });
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on("message", (message: VerifyWorkerMessage) => {
      if (message.type === "progress") onProgress(message.done, message.total);
      else if (message.type === "done") settle(() => resolve(message.report));
      else settle(() => reject(new ArbiterError("LEDGER_UNAVAILABLE", `the ledger could not be verified: ${message.message}`)));
    });
    worker.on("error", (err) => settle(() => reject(new ArbiterError("LEDGER_UNAVAILABLE", `the verify worker failed: ${err.message}`))));
    worker.on("exit", (code) => settle(() => reject(new ArbiterError("LEDGER_UNAVAILABLE", `the verify worker stopped (exit code ${code}) before it finished`))));
  });
}
