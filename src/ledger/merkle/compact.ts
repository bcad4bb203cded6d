// The compact range of a Merkle tree: the roots ("peaks") of the perfect subtrees along its right edge.
import { ArbiterError } from "../../record/errors.js";
import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash, type Hash } from "./hash.js";
import type { HashAddress } from "./prove.js";

// Sizes and indexes are JS numbers; everything below uses arithmetic, not 32-bit bitwise operators,
// so that it stays exact up to Number.MAX_SAFE_INTEGER (2^53 - 1).

/**
 * Throws INDEX_OUT_OF_RANGE unless value is a safe integer >= 0 (a tree size or leaf index).
 * Shared by the merkle modules, which all take sizes and indexes from callers.
 */
export function requireTreeCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", `${name} must be an integer in [0, 2^53-1]`, {
      [name]: String(value),
    });
  }
}

/** Number of set bits in the binary representation of n. Requires n to be a safe integer >= 0. */
export function popcount(n: number): number {
  let count = 0;
  for (let rest = n; rest > 0; rest = Math.floor(rest / 2)) count += rest % 2;
  return count;
}

/**
 * Perfect subtrees whose roots form the compact range of a tree of this size, largest first, as
 * addresses: one per set bit of size (RFC 9162 §2.1 splits a tree into perfect subtrees this way).
 * Requires 0 <= size <= 2^53-1.
 */
export function peakAddresses(size: number): HashAddress[] {
  requireTreeCount(size, "size");
  const levels: number[] = [];
  for (let rest = size, level = 0; rest > 0; rest = Math.floor(rest / 2), level++) {
    if (rest % 2 === 1) levels.push(level);
  }
  const addresses: HashAddress[] = [];
  let start = 0;
  for (let i = levels.length - 1; i >= 0; i--) {
    const level = levels[i] as number;
    const width = 2 ** level;
    addresses.push({ level, index: start / width });
    start += width;
  }
  return addresses;
}

/** Folds peaks (largest first) into the tree root: the right-most peaks combine first (RFC 9162 §2.1.1). */
export function rootFromPeaks(peaks: readonly Hash[]): Hash {
  let root: Hash | undefined;
  for (let i = peaks.length - 1; i >= 0; i--) {
    const peak = peaks[i] as Hash;
    root = root === undefined ? peak : nodeHash(peak, root);
  }
  return Buffer.from(root ?? EMPTY_ROOT);
}

export class CompactRange {
  #size: number;
  // Largest first, as in peakAddresses(size).
  #peaks: Hash[];

  /** Restores a compact range. Requires 0 <= size <= 2^53-1 and peaks.length === popcount(size), each 32 bytes. */
  constructor(size: number, peaks: readonly Hash[]) {
    requireTreeCount(size, "size");
    const expected = popcount(size);
    if (peaks.length !== expected) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", "a compact range needs one peak per set bit of its size", {
        size,
        expectedPeaks: expected,
        actualPeaks: peaks.length,
      });
    }
    peaks.forEach((peak, i) => {
      if (!isHash(peak)) {
        throw new ArbiterError("INDEX_OUT_OF_RANGE", `peak ${i} is not a ${HASH_SIZE}-byte hash`, { size, peak: i });
      }
    });
    this.#size = size;
    this.#peaks = peaks.map((peak) => Buffer.from(peak));
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  get size(): number {
    return this.#size;
  }

  /** Copies of the peaks, largest subtree first (addresses: peakAddresses(size)). */
  get peaks(): readonly Hash[] {
    return this.#peaks.map((peak) => Buffer.from(peak));
  }

  /**
   * Appends one leaf hash. Returns the hashes that became complete, in order: the leaf hash itself
   * (level 0), then each parent it completed. Hash i is the perfect subtree at
   * { level: i, index: floor(oldSize / 2^i) }, where oldSize is the size before the append, so a store
   * can persist every stored hash from this result. Requires a 32-byte leaf and size < 2^53-1.
   */
  append(leaf: Hash): Hash[] {
    if (!isHash(leaf)) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", `a leaf hash must be ${HASH_SIZE} bytes`, {
        length: leaf.length,
      });
    }
    if (this.#size >= Number.MAX_SAFE_INTEGER) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", "the tree is full", { size: this.#size });
    }
    let node: Hash = Buffer.from(leaf);
    const completed = [node];
    // Each trailing 1 bit of the old size is a peak that the new node now has a sibling for.
    for (let rest = this.#size; rest % 2 === 1; rest = Math.floor(rest / 2)) {
      const left = this.#peaks.pop() as Hash;
      node = nodeHash(left, node);
      completed.push(node);
    }
    this.#peaks.push(node);
    this.#size += 1;
    return completed.map((hash) => Buffer.from(hash));
  }

  /**
   * Appends the root of a perfect subtree of 2^level leaves (transparency-dev/merkle compact.Range
   * merging a range that starts where this one ends). Returns the hashes that became complete, as
   * append does: the subtree root (at `level`), then each parent it completed. Requires size to be a
   * multiple of 2^level, so that the subtree sits right of every peak.
   */
  appendSubtree(level: number, root: Hash): Hash[] {
    requireTreeCount(level, "level");
    const width = 2 ** level;
    if (!isHash(root) || this.#size % width !== 0 || this.#size + width > Number.MAX_SAFE_INTEGER) {
      throw new ArbiterError("INDEX_OUT_OF_RANGE", `a level-${level} subtree cannot follow a range of size ${this.#size}`, { size: this.#size, level });
    }
    let node: Hash = Buffer.from(root);
    const completed = [node];
    for (let rest = this.#size / width; rest % 2 === 1; rest = Math.floor(rest / 2)) {
      node = nodeHash(this.#peaks.pop() as Hash, node);
      completed.push(node);
    }
    this.#peaks.push(node);
    this.#size += width;
    return completed.map((hash) => Buffer.from(hash));
  }

  /** Appends a compact range of the leaves that follow this one's (its size must leave room for each of its peaks). */
  extend(next: CompactRange): void {
    const peaks = next.#peaks;
    peakAddresses(next.size).forEach((address, i) => this.appendSubtree(address.level, peaks[i] as Hash));
  }

  /** MTH of the whole tree (RFC 9162 §2.1.1); EMPTY_ROOT (a copy) for size 0. */
  root(): Hash {
    return rootFromPeaks(this.#peaks);
  }

  clone(): CompactRange {
    return new CompactRange(this.#size, this.#peaks);
  }
}
