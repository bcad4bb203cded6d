// Full verification of a stored ledger: recompute the tree from the leaves and check everything kept.
import { completedHashCount, type LedgerStore, type StoredCheckpoint } from "../store/index.js";
import { openCheckpoint } from "./checkpoint.js";
import { CompactRange, HASH_SIZE, leafHash } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";
import { openOutside, type OutsideCheckpoint } from "./rollback.js";
import { IndexCheck } from "./verify-index.js";

export const MAX_LEAF_BYTES = 65536;

export interface LedgerProblem {
  /** The first entry that cannot be trusted (for a checkpoint mismatch: the first not covered by a good one). */
  index: number;
  problem: string;
  /** Set when the problem is in a query table derived from the entries (record_index, record_policies). */
  table?: string;
}

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

type Visited = StoredCheckpoint & { source?: string };

function checkCheckpoint(cp: Visited, edge: CompactRange, verifier: NoteVerifier, origin: string, goodUpTo: number): LedgerProblem | undefined {
  try {
    const opened = openCheckpoint(cp.note, verifier, origin);
    if (opened.size !== cp.size || !opened.root.equals(cp.root)) {
      return { index: goodUpTo, problem: `checkpoint at size ${cp.size}: stored root and size differ from the signed note` };
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { index: goodUpTo, problem: `checkpoint at size ${cp.size}: signature does not verify (${reason})` };
  }
  if (!edge.root().equals(cp.root) && cp.source !== undefined) {
    return {
      index: goodUpTo,
      problem: `the checkpoint this log signed at size ${cp.size} (${cp.source}) has root ${cp.root.toString("base64")}, but the stored entries give ${edge.root().toString("base64")}: the log was rolled back to another copy or rewritten`,
    };
  }
  if (!edge.root().equals(cp.root)) {
    return {
      index: goodUpTo,
      problem: `checkpoint at size ${cp.size}: signed root ${cp.root.toString("base64")} differs from the root recomputed from entries (${edge.root().toString("base64")}); an entry in ${goodUpTo}..${cp.size - 1} was changed`,
    };
  }
  return undefined;
}

/** The first stored hash of an entry that differs from the hashes its leaf completes (level 0: its own leaf hash). */
export function firstMismatch(stored: Buffer, completed: readonly Buffer[]): { level: number; problem: string } | undefined {
  if (stored.length !== completed.length * HASH_SIZE) {
    return { level: completed.length - 1, problem: `${stored.length / HASH_SIZE} stored hashes where ${completed.length} belong` };
  }
  for (let level = 0; level < completed.length; level++) {
    if (!stored.subarray(level * HASH_SIZE, (level + 1) * HASH_SIZE).equals(completed[level] as Buffer)) {
      const what = level === 0 ? "leaf hash" : `level-${level} subtree hash`;
      return { level, problem: `stored ${what} does not match the hash recomputed from the entries` };
    }
  }
  return undefined;
}

/** How far from its place a moved row is looked for: inserts, deletes and swaps of a few rows. */
const MOVE_SEARCH = 64;

/**
 * The index at which a row's body was originally appended, if it was moved: its first slot holds
 * the leaf hash of its bytes when split at that index's hash count. Renumbering rows (an insert or
 * a delete) or swapping them leaves exactly this trace.
 */
function originalIndexOf(index: number, body: Buffer): number | undefined {
  for (let distance = 1; distance <= MOVE_SEARCH; distance++) {
    for (const candidate of [index - distance, index + distance]) {
      if (candidate < 0) continue;
      const split = completedHashCount(candidate) * HASH_SIZE;
      if (body.length <= split) continue;
      if (leafHash(body.subarray(split)).equals(body.subarray(0, HASH_SIZE))) return candidate;
    }
  }
  return undefined;
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
  const checkpoints: Visited[] = store.checkpoints();
  for (const outside of options.outside ?? []) {
    try {
      const cp = openOutside(outside, verifier, origin);
      checkpoints.push({ size: cp.size, root: cp.root, note: outside.note, signedAt: "", source: outside.source });
    } catch (err) {
      return { ok: false, entries: 0, checkpoints: 0, root: "", failure: { index: 0, problem: err instanceof Error ? err.message : String(err) } };
    }
  }
  checkpoints.sort((a, b) => a.size - b.size);
  const edge = CompactRange.empty();
  let nextCheckpoint = 0;
  let goodUpTo = 0;
  const result = (failure?: LedgerProblem): LedgerVerification => ({
    ok: failure === undefined,
    entries: edge.size,
    checkpoints: nextCheckpoint,
    root: edge.root().toString("base64"),
    ...(failure ? { failure } : {}),
  });

  const visitCheckpoints = (): LedgerProblem | undefined => {
    for (let cp = checkpoints[nextCheckpoint]; cp && cp.size === edge.size; cp = checkpoints[nextCheckpoint]) {
      const problem = checkCheckpoint(cp, edge, verifier, origin, goodUpTo);
      if (problem) return problem;
      goodUpTo = cp.size;
      nextCheckpoint++;
    }
    return undefined;
  };

  let problem = visitCheckpoints();
  if (problem) return result(problem);
  for (const row of store.entries(0, Number.MAX_SAFE_INTEGER)) {
    const index = edge.size;
    if (row.index !== index) return result({ index, problem: `entry ${index} is missing (next stored entry is ${row.index})` });
    if (row.data.length > MAX_LEAF_BYTES) return result({ index, problem: `entry ${index} is ${row.data.length} bytes, over the ${MAX_LEAF_BYTES}-byte leaf limit` });
    const completed = edge.append(leafHash(row.data));
    const mismatch = firstMismatch(row.hashes, completed);
    if (mismatch?.level === 0) {
      const original = originalIndexOf(index, Buffer.concat([row.hashes, row.data]));
      if (original !== undefined) {
        const first = Math.min(index, original);
        const how = original < index ? `entries were inserted at or before ${first}` : `entry ${index} was removed or swapped`;
        return result({ index: first, problem: `entry ${index} holds the entry appended at ${original}: ${how}` });
      }
    }
    if (mismatch !== undefined) {
      // A subtree hash covers 2^level entries ending here; without the original we only know one of them changed.
      const first = index - 2 ** mismatch.level + 1;
      const span = first === index ? `entry ${index}` : `entries ${first}..${index}`;
      return result({ index: first, problem: `${span}: ${mismatch.problem}` });
    }
    problem = visitCheckpoints();
    if (problem) return result(problem);
    // A query-table problem is reported only once every entry verified: a changed entry (whose own
    // row then differs too) is the finding that matters, and may show only at a later subtree hash.
    if (indexProblem === undefined) indexProblem = indexCheck?.check(row);
    if (onProgress && (index & 0x3fff) === 0) onProgress(index + 1, total);
  }
  onProgress?.(edge.size, total);
  const unreached = checkpoints[nextCheckpoint];
  if (unreached) {
    return result({
      index: edge.size,
      problem: `a checkpoint was signed at size ${unreached.size}${unreached.source ? ` (${unreached.source})` : ""} but only ${edge.size} entries are stored: entries from ${edge.size} on were removed, or an older copy of the database was restored`,
    });
  }
  return result(indexProblem ?? indexCheck?.finish(edge.size));
}
