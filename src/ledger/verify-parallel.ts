// A full verify on every core: the log is cut into aligned spans of 2^level entries, threads take
// spans in turn (verify-range-worker.ts) and hand back each span's compact range, and this thread
// merges them in order into the tree, checking what lies across spans (the hashes above a span's
// root, every checkpoint). Findings are the serial verify's: the same first problem, in the same words.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ArbiterError } from "../record/errors.js";
import { workerModuleUrl, type LedgerStore, type StoreLocation } from "../store/index.js";
import { CompactRange } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";
import { CheckpointWalk } from "./verify-checkpoints.js";
import { mismatchFrom, subtreeProblem, type LedgerProblem } from "./verify-entry.js";
import { strayRowProblem } from "./verify-index.js";
import type { SpanRange, SpanResult, SpanSettings, VerifySpan } from "./verify-range.js";
import type { SpanWorkerData, SpanWorkerMessage } from "./verify-range-worker.js";
import { verifyLedger, type LedgerVerification, type VerifyOptions } from "./verify.js";

export interface ParallelVerifyOptions extends VerifyOptions {
  /** Threads to verify on (default os.availableParallelism()); 1 verifies on the calling thread. */
  threads?: number;
  /** Logs with fewer entries are verified on the calling thread: starting threads would cost more than it saves. */
  minEntries?: number;
  /** Entries per span, as a power of two (default 2^15). */
  spanLevel?: number;
}

export const PARALLEL_MIN_ENTRIES = 100_000;
const SPAN_LEVEL = 15;

const compactOf = (range: SpanRange): CompactRange => new CompactRange(range.size, range.peaks.map((peak) => Buffer.from(peak)));

/** The tree so far, span by span in log order, with the checks that need the entries before a span. */
class Merge {
  readonly edge = CompactRange.empty();
  indexProblem: LedgerProblem | undefined;

  constructor(private readonly walk: CheckpointWalk, private readonly level: number) {}

  /** Adds span `span`'s result; a problem is the verify's finding (the edge then ends where the serial verify's would). */
  add(span: VerifySpan, result: SpanResult): LedgerProblem | undefined {
    for (const at of result.checkpoints) {
      const problem = this.walk.visit(span.from + at.size, () => {
        const edge = this.edge.clone();
        edge.extend(compactOf(at));
        return edge.root();
      });
      if (problem) {
        this.edge.extend(compactOf(at));
        return problem;
      }
    }
    const range = compactOf(result.range);
    if (result.problem || range.size < 2 ** this.level) this.edge.extend(range);
    else {
      const completed = this.edge.appendSubtree(this.level, range.peaks[0] as Buffer);
      const mismatch = result.lastHashes ? mismatchFrom(Buffer.from(result.lastHashes), completed.slice(1), this.level + 1) : undefined;
      if (mismatch) return subtreeProblem(span.to - 1, mismatch);
    }
    if (result.problem) return result.problem;
    this.indexProblem ??= result.indexProblem;
    return this.walk.visit(this.edge.size, () => this.edge.root());
  }
}

/**
 * verifyLedger on `threads` threads, each with its own read-only view of the store at `location` (the
 * same store `store` reads). The log's size, the query tables' mark and the checkpoints are read here in one
 * snapshot; threads look at nothing past that size, and rows past the mark are due, not missing, so a
 * writer appending meanwhile causes no false alarm.
 */
export async function verifyLedgerInParallel(
  store: LedgerStore,
  location: StoreLocation,
  verifier: NoteVerifier,
  origin: string,
  options: ParallelVerifyOptions = {},
): Promise<LedgerVerification> {
  const threads = Math.max(1, Math.floor(options.threads ?? availableParallelism()));
  const indexes = options.indexes !== false;
  const snapshot = store.readConsistent(() => {
    const size = store.size();
    return { size, indexed: store.indexedSize(), checkpoints: store.checkpoints(), stray: indexes ? store.firstIndexRowFrom(size) : undefined };
  });
  const { size } = snapshot;
  if (threads < 2 || size < (options.minEntries ?? PARALLEL_MIN_ENTRIES)) return verifyLedger(store, verifier, origin, options);
  const walk = CheckpointWalk.of(snapshot.checkpoints, options.outside ?? [], verifier, origin);
  if (!(walk instanceof CheckpointWalk)) return { ok: false, entries: 0, checkpoints: 0, root: "", failure: walk };
  const level = options.spanLevel ?? SPAN_LEVEL;
  const width = 2 ** level;
  const sizes = [...new Set(walk.sizes)];
  const spans: VerifySpan[] = [];
  for (let from = 0; from < size; from += width) {
    const to = Math.min(from + width, size);
    spans.push({ from, to, checkpointSizes: sizes.filter((s) => s > from && s < to) });
  }
  const merge = new Merge(walk, level);
  const result = (failure?: LedgerProblem): LedgerVerification => ({
    ok: failure === undefined,
    entries: merge.edge.size,
    checkpoints: walk.visited,
    root: merge.edge.root().toString("base64"),
    ...(failure ? { failure } : {}),
  });
  const first = walk.visit(0, () => merge.edge.root());
  if (first || spans.length === 0) return result(first ?? walk.unreached(0) ?? strayRowProblem(snapshot.stray, 0));
  const settings: SpanSettings = { size, indexed: snapshot.indexed, indexes };
  const problem = await runSpans({ location, settings, spans, counter: new SharedArrayBuffer(8) }, Math.min(threads, spans.length), merge, options);
  options.onProgress?.(merge.edge.size, size);
  return result(problem ?? walk.unreached(merge.edge.size) ?? merge.indexProblem ?? strayRowProblem(snapshot.stray, size));
}

/** Runs the spans on `threads` threads, merging results in log order; resolves with the first problem, if any. */
function runSpans(data: SpanWorkerData, threads: number, merge: Merge, options: ParallelVerifyOptions): Promise<LedgerProblem | undefined> {
  const counter = new Int32Array(data.counter);
  Atomics.store(counter, 1, data.spans.length);
  const total = data.spans.at(-1)?.to ?? 0;
  const results: (SpanResult | undefined)[] = [];
  let merged = 0;
  let progressed = 0;
  let finished = 0;
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      Atomics.store(counter, 1, 0);
      for (const worker of workers) void worker.terminate();
      fn();
    };
    const failed = (why: string): void => settle(() => reject(new ArbiterError("LEDGER_UNAVAILABLE", `the ledger could not be verified: ${why}`)));
    const onMessage = (message: SpanWorkerMessage): void => {
      if (message.type === "progress") {
        progressed += message.entries;
        options.onProgress?.(progressed, total);
      } else if (message.type === "span") {
        results[message.span] = message.result;
        for (let next = results[merged]; next !== undefined && !settled; next = results[merged]) {
          const problem = merge.add(data.spans[merged] as VerifySpan, next);
          results[merged++] = undefined;
          if (problem || merged === data.spans.length) settle(() => resolve(problem));
        }
      } else if (message.type === "error") failed(message.message);
    };
    for (let i = 0; i < threads; i++) {
      const worker = new Worker(workerModuleUrl(import.meta.url, "verify-range-worker"), { workerData: data });
      workers.push(worker);
      let done = false;
      worker.on("message", (message: SpanWorkerMessage) => {
        if (message.type !== "done") return onMessage(message);
        done = true;
        // Every span is taken once all threads are done: one not merged by then was lost.
        if (++finished === workers.length) failed(`the verify threads stopped after ${merged} of ${data.spans.length} spans`);
      });
      worker.on("error", (err) => failed(`a verify thread failed: ${err.message}`));
      worker.on("exit", (code) => {
        if (!done) failed(`a verify thread stopped (exit code ${code}) before it finished`);
      });
    }
  });
}
