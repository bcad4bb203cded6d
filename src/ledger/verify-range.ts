// One span of a parallel verify: the entries from..to-1 checked as the serial verify checks them, on
// whichever thread runs it. The span is an aligned perfect subtree (or the log's last, partial one),
// so every hash an entry stores lies inside it but the few above the span's own root, which the
// coordinator checks as it merges the spans' compact ranges in order (verify-parallel.ts).
import { completedHashCount, type LedgerStore } from "../store/index.js";
import { CompactRange, leafHash } from "./merkle/index.js";
import { firstMismatch, mismatchProblem, rowProblem, type LedgerProblem } from "./verify-entry.js";
import { IndexCheck } from "./verify-index.js";

export interface VerifySpan {
  from: number;
  /** Exclusive; to - from <= 2^level of the settings, and from a multiple of it. */
  to: number;
  /** Checkpoint sizes in (from, to): the compact range at each is handed back. */
  checkpointSizes: number[];
}

export interface SpanSettings {
  /** The log's size as the coordinator read it: entries at or past it are not looked at. */
  size: number;
  /** The query tables' high-water mark as the coordinator read it: rows from here on are due, not missing. */
  indexed: number;
  indexes: boolean;
}

/** A compact range of the entries from a span's start, as plain bytes (it crosses threads). */
export interface SpanRange {
  size: number;
  peaks: Uint8Array[];
}

export interface SpanResult {
  from: number;
  /** The entries recomputed: up to the problem (its own leaf included when its hashes were wrong), else all. */
  range: SpanRange;
  /** The range at each checkpoint size in (from, to) that was reached. */
  checkpoints: SpanRange[];
  /** Every stored hash of the span's last entry, when it stores some above the span's root and every entry verified. */
  lastHashes?: Uint8Array;
  problem?: LedgerProblem;
  /** The first query-table problem in the span (reported only if no entry of the whole log has a problem). */
  indexProblem?: LedgerProblem;
}

const rangeOf = (range: CompactRange): SpanRange => ({ size: range.size, peaks: [...range.peaks] });

/** The first stored entry at or past `from`, below the log's size. */
function nextStored(store: LedgerStore, from: number, size: number): number | undefined {
  for (const row of store.entries(from, size)) return row.index;
  return undefined;
}

export function verifySpan(store: LedgerStore, span: VerifySpan, settings: SpanSettings, onEntries?: (count: number) => void): SpanResult {
  const { from, to } = span;
  const local = CompactRange.empty();
  const checkpoints: SpanRange[] = [];
  const indexCheck = settings.indexes ? new IndexCheck(store, { from, to, indexed: settings.indexed }) : undefined;
  let indexProblem: LedgerProblem | undefined;
  let nextCheckpoint = 0;
  const result = (extra: Partial<SpanResult>): SpanResult => ({
    from,
    range: rangeOf(local),
    checkpoints,
    ...(indexProblem ? { indexProblem } : {}),
    ...extra,
  });
  let lastHashes: Uint8Array | undefined;
  for (const row of store.entries(from, to)) {
    const index = from + local.size;
    const early = rowProblem(index, row);
    if (early) return result({ problem: early });
    const completed = local.append(leafHash(row.data));
    const expected = completedHashCount(index);
    const mismatch = firstMismatch(row.hashes, completed, expected);
    if (mismatch !== undefined) return result({ problem: mismatchProblem(index, row, mismatch) });
    if (completed.length < expected) lastHashes = row.hashes;
    if (span.checkpointSizes[nextCheckpoint] === index + 1) {
      checkpoints.push(rangeOf(local));
      nextCheckpoint++;
    }
    if (indexProblem === undefined) indexProblem = indexCheck?.check(row);
    if (onEntries && (local.size & 0x3fff) === 0) onEntries(0x4000);
  }
  const done = from + local.size;
  if (done < to) {
    // The rows ran out inside the span: the serial verify names the gap and the next entry there is.
    const next = nextStored(store, to, settings.size);
    return result({ problem: { index: done, problem: `entry ${done} is missing (next stored entry is ${next ?? "none"})` } });
  }
  onEntries?.(local.size & 0x3fff);
  return result(lastHashes ? { lastHashes } : {});
}
