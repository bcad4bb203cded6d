// Full verification of a stored ledger: recompute the tree from the leaves and check everything kept.
import type { LedgerStore } from "../store/index.js";
import { CompactRange, leafHash } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";
import type { OutsideCheckpoint } from "./rollback.js";
import { CheckpointWalk } from "./verify-checkpoints.js";
import { firstMismatch, mismatchProblem, rowProblem, type LedgerProblem } from "./verify-entry.js";
import { IndexCheck } from "./verify-index.js";

export { MAX_LEAF_BYTES, firstMismatch, type LedgerProblem } from "./verify-entry.js";

export interface LedgerVerification {
  ok: boolean;
  entries: number;
  checkpoints: number;
  root: string;
  failure?: LedgerProblem;
}

export type VerifyProgress = (done: number, total: number) => void;

export interface VerifyOptions {
  onProgress?: VerifyProgress;
  /** Recompute the query tables from the entries too (default true; false only to measure what it costs). */
  indexes?: boolean;
  /** Checkpoints of this log kept outside the database (the data directory's copy, witnesses'): the log must hold each one's tree. */
  outside?: readonly OutsideCheckpoint[];
}

/**
 * Recomputes every leaf and interior hash from the stored entries, compares each with what is
 * stored, checks every stored checkpoint's signature and root, and recomputes every row of the
 * query tables from its entry. Stops at the first problem.
 */
export function verifyLedger(store: LedgerStore, verifier: NoteVerifier, origin: string, options: VerifyOptions = {}): LedgerVerification {
  // One snapshot for the whole pass: read in many statements beside a writer, an entry committed
  // between reading the entries and reading the index rows looked like an index row gone missing.
  return store.readConsistent(() => verifySnapshot(store, verifier, origin, options));
}

function verifySnapshot(store: LedgerStore, verifier: NoteVerifier, origin: string, options: VerifyOptions): LedgerVerification {
  const onProgress = options.onProgress;
  const indexCheck = options.indexes === false ? undefined : new IndexCheck(store);
  let indexProblem: LedgerProblem | undefined;
  const total = store.size();
  const walk = CheckpointWalk.of(store.checkpoints(), options.outside ?? [], verifier, origin);
  if (!(walk instanceof CheckpointWalk)) return { ok: false, entries: 0, checkpoints: 0, root: "", failure: walk };
  const edge = CompactRange.empty();
  const result = (failure?: LedgerProblem): LedgerVerification => ({
    ok: failure === undefined,
    entries: edge.size,
    checkpoints: walk.visited,
    root: edge.root().toString("base64"),
    ...(failure ? { failure } : {}),
  });

  let problem = walk.visit(edge.size, () => edge.root());
  if (problem) return result(problem);
  for (const row of store.entries(0, Number.MAX_SAFE_INTEGER)) {
    const index = edge.size;
    const early = rowProblem(index, row);
    if (early) return result(early);
    const completed = edge.append(leafHash(row.data));
    const mismatch = firstMismatch(row.hashes, completed);
    if (mismatch !== undefined) return result(mismatchProblem(index, row, mismatch));
    problem = walk.visit(edge.size, () => edge.root());
    if (problem) return result(problem);
    // A query-table problem is reported only once every entry verified: a changed entry (whose own
    // row then differs too) is the finding that matters, and may show only at a later subtree hash.
    if (indexProblem === undefined) indexProblem = indexCheck?.check(row);
    if (onProgress && (index & 0x3fff) === 0) onProgress(index + 1, total);
  }
  onProgress?.(edge.size, total);
  return result(walk.unreached(edge.size) ?? indexProblem ?? indexCheck?.finish(edge.size));
}
