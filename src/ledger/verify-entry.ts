// The checks of one stored entry, shared by the serial verify and each thread of the parallel one, so
// that both name the same first problem in the same words.
import { completedHashCount, type StoredEntry } from "../store/index.js";
import { HASH_SIZE, leafHash } from "./merkle/index.js";

export const MAX_LEAF_BYTES = 65536;

export interface LedgerProblem {
  /** The first entry that cannot be trusted (for a checkpoint mismatch: the first not covered by a good one). */
  index: number;
  problem: string;
  /** Set when the problem is in a query table derived from the entries (record_index, record_policies). */
  table?: string;
}

export interface HashMismatch {
  level: number;
  problem: string;
}

/**
 * The first stored hash of an entry that differs from the hashes its leaf completes (level 0: its own
 * leaf hash). `expected` is how many the entry stores; `completed` may hold fewer (levels 0 up), when
 * the hashes above are checked elsewhere.
 */
export function firstMismatch(stored: Buffer, completed: readonly Buffer[], expected = completed.length): HashMismatch | undefined {
  if (stored.length !== expected * HASH_SIZE) {
    return { level: expected - 1, problem: `${stored.length / HASH_SIZE} stored hashes where ${expected} belong` };
  }
  return mismatchFrom(stored, completed, 0);
}

/** Compares `completed` (hashes of levels `level`, `level`+1, …) with the same levels of `stored`. */
export function mismatchFrom(stored: Buffer, completed: readonly Buffer[], level: number): HashMismatch | undefined {
  for (let i = 0; i < completed.length; i++) {
    const at = level + i;
    if (!stored.subarray(at * HASH_SIZE, (at + 1) * HASH_SIZE).equals(completed[i] as Buffer)) {
      const what = at === 0 ? "leaf hash" : `level-${at} subtree hash`;
      return { level: at, problem: `stored ${what} does not match the hash recomputed from the entries` };
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

/** A problem seen before the entry's hashes are computed: a gap where entry `index` belongs, or a leaf over the limit. */
export function rowProblem(index: number, row: StoredEntry): LedgerProblem | undefined {
  if (row.index !== index) return { index, problem: `entry ${index} is missing (next stored entry is ${row.index})` };
  if (row.data.length > MAX_LEAF_BYTES) return { index, problem: `entry ${index} is ${row.data.length} bytes, over the ${MAX_LEAF_BYTES}-byte leaf limit` };
  return undefined;
}

/** The finding for a stored hash of entry `index` that does not match. */
export function mismatchProblem(index: number, row: StoredEntry, mismatch: HashMismatch): LedgerProblem {
  if (mismatch.level === 0) {
    const original = originalIndexOf(index, Buffer.concat([row.hashes, row.data]));
    if (original !== undefined) {
      const first = Math.min(index, original);
      const how = original < index ? `entries were inserted at or before ${first}` : `entry ${index} was removed or swapped`;
      return { index: first, problem: `entry ${index} holds the entry appended at ${original}: ${how}` };
    }
  }
  return subtreeProblem(index, mismatch);
}

/** The finding for a stored hash of entry `index` that does not match, the entry not having been moved. */
export function subtreeProblem(index: number, mismatch: HashMismatch): LedgerProblem {
  // A subtree hash covers 2^level entries ending here; without the original we only know one of them changed.
  const first = index - 2 ** mismatch.level + 1;
  const span = first === index ? `entry ${index}` : `entries ${first}..${index}`;
  return { index: first, problem: `${span}: ${mismatch.problem}` };
}
