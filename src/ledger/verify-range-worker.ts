// One thread of a parallel verify (verify-parallel.ts): its own read-only connection, one read
// transaction for its whole run, and spans taken from a shared counter until none are left.
import { parentPort, workerData } from "node:worker_threads";
import { openStoreReader, type StoreLocation } from "../store/index.js";
import { verifySpan, type SpanResult, type SpanSettings, type VerifySpan } from "./verify-range.js";

export interface SpanWorkerData {
  location: StoreLocation;
  settings: SpanSettings;
  spans: VerifySpan[];
  /** Int32 [next span to take, spans to take before stopping]: the coordinator lowers the second once a problem is found. */
  counter: SharedArrayBuffer;
}

export type SpanWorkerMessage =
  | { type: "progress"; entries: number }
  | { type: "span"; span: number; result: SpanResult }
  | { type: "done" }
  | { type: "error"; message: string };

function run(port: NonNullable<typeof parentPort>, data: SpanWorkerData): void {
  const post = (message: SpanWorkerMessage): void => port.postMessage(message);
  try {
    const store = openStoreReader(data.location);
    try {
      const counter = new Int32Array(data.counter);
      // One snapshot for every span this thread takes: a row the writer indexes meanwhile is not half seen.
      store.readConsistent(() => {
        for (let span = Atomics.add(counter, 0, 1); span < Atomics.load(counter, 1); span = Atomics.add(counter, 0, 1)) {
          const result = verifySpan(store, data.spans[span] as VerifySpan, data.settings, (entries) => post({ type: "progress", entries }));
          post({ type: "span", span, result });
        }
      });
    } finally {
      store.close();
    }
    post({ type: "done" });
  } catch (err) {
    post({ type: "error", message: err instanceof Error ? err.message : String(err) });
  }
}

if (parentPort) run(parentPort, workerData as SpanWorkerData);
