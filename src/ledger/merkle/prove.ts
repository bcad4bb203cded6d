// Inclusion and consistency proofs (RFC 9162 §2.1.3.1, §2.1.4.1) built from stored hashes of perfect subtrees.
import { ArbiterError } from "../../record/errors.js";
import { peakAddresses, requireTreeCount, rootFromPeaks } from "./compact.js";
import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash, type Hash } from "./hash.js";

/** A perfect subtree at level L and index k: it covers leaves [k*2^L, (k+1)*2^L). Level 0 holds leaf hashes. */
export interface HashAddress {
  level: number;
  index: number;
}

/** Reads stored hashes of perfect subtrees, in the order asked. Sync (SQLite) form. */
export type ReadHashes = (addresses: readonly HashAddress[]) => Hash[];

// Every subtree that RFC 9162's PATH and SUBPROOF recurse into is either a perfect subtree (stored)
// or a subtree on the right edge of the tree, [start, size): the right child of each split. Because
// each split point is the largest power of two below the width, such a start is always a peak
// boundary, so a right-edge subtree is exactly a suffix of the tree's peaks (see compact.ts). Partial
// subtrees are never stored; folding peak suffixes from the right computes all of them, nested, with
// one fetch per peak.

interface LeafRange {
  start: number;
  end: number;
}

type ProofElement = { stored: HashAddress } | { edgeFromPeak: number };

interface ProofPlan {
  elements: ProofElement[];
  /** Unique stored hashes the elements need, in fetch order. */
  addresses: HashAddress[];
  /** Peaks of the tree, only set when some element is a right-edge subtree. */
  peaks: HashAddress[];
}

/** The exponent of width if width is a power of two, else -1. */
function exactLevel(width: number): number {
  let level = 0;
  for (let power = 1; power < width; power *= 2) level++;
  return 2 ** level === width ? level : -1;
}

/** k in RFC 9162 §2.1.1: the largest power of two smaller than n. Requires n >= 2. */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function addressKey(address: HashAddress): string {
  return `${address.level}/${address.index}`;
}

function planRanges(size: number, ranges: readonly LeafRange[]): ProofPlan {
  const addresses: HashAddress[] = [];
  const seen = new Set<string>();
  const need = (address: HashAddress): void => {
    const key = addressKey(address);
    if (!seen.has(key)) {
      seen.add(key);
      addresses.push(address);
    }
  };
  let peaks: HashAddress[] = [];
  let peakStarts: number[] = [];
  const elements = ranges.map((range): ProofElement => {
    const width = range.end - range.start;
    const level = exactLevel(width);
    if (level >= 0 && range.start % width === 0) {
      const address = { level, index: range.start / width };
      need(address);
      return { stored: address };
    }
    if (peaks.length === 0) {
      peaks = peakAddresses(size);
      let start = 0;
      peakStarts = peaks.map((peak) => {
        const peakStart = start;
        start += 2 ** peak.level;
        return peakStart;
      });
    }
    const first = peakStarts.indexOf(range.start);
    if (range.end !== size || first < 0) {
      // Unreachable by the argument above; fail loudly rather than build a wrong proof.
      throw new Error(`internal: [${range.start}, ${range.end}) is neither perfect nor on the right edge of ${size}`);
    }
    peaks.slice(first).forEach(need);
    return { edgeFromPeak: first };
  });
  return { elements, addresses, peaks };
}

function assemblePlan(plan: ProofPlan, hashes: readonly Hash[]): Hash[] {
  if (hashes.length !== plan.addresses.length) {
    throw new ArbiterError("LEDGER_CORRUPT", "the store returned a different number of hashes than asked for", {
      expected: plan.addresses.length,
      actual: hashes.length,
    });
  }
  const byAddress = new Map<string, Hash>();
  plan.addresses.forEach((address, i) => {
    const hash = hashes[i];
    if (hash === undefined || !isHash(hash)) {
      throw new ArbiterError("LEDGER_CORRUPT", `a stored hash is not ${HASH_SIZE} bytes`, { ...address });
    }
    byAddress.set(addressKey(address), Buffer.from(hash));
  });
  const stored = (address: HashAddress): Hash => byAddress.get(addressKey(address)) as Hash;

  // suffixRoots[i] = hash of the right-edge subtree made of peaks i..last; folded once, right to left.
  const firstEdgePeak = Math.min(
    ...plan.elements.map((element) => ("edgeFromPeak" in element ? element.edgeFromPeak : Infinity)),
  );
  const suffixRoots = new Map<number, Hash>();
  if (Number.isFinite(firstEdgePeak)) {
    let suffix: Hash | undefined;
    for (let i = plan.peaks.length - 1; i >= firstEdgePeak; i--) {
      const peak = stored(plan.peaks[i] as HashAddress);
      suffix = suffix === undefined ? peak : nodeHash(peak, suffix);
      suffixRoots.set(i, suffix);
    }
  }
  return plan.elements.map((element) =>
    "stored" in element ? stored(element.stored) : (suffixRoots.get(element.edgeFromPeak) as Hash),
  );
}

function readPlan(plan: ProofPlan, read: ReadHashes): Hash[] {
  return assemblePlan(plan, plan.addresses.length === 0 ? [] : read(plan.addresses));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) as leaf ranges, leaf sibling first. */
function planInclusion(index: number, size: number): ProofPlan {
  requireTreeCount(index, "index");
  requireTreeCount(size, "size");
  if (index >= size) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", "an inclusion proof needs 0 <= index < size", { index, size });
  }
  // Walk from the root down to the leaf; each step contributes the sibling subtree.
  const siblings: LeafRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = largestPowerOfTwoBelow(end - start);
    if (index < start + k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
    }
  }
  return planRanges(size, siblings.reverse());
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges, in proof order. */
function planConsistency(oldSize: number, newSize: number): ProofPlan {
  requireTreeCount(oldSize, "oldSize");
  requireTreeCount(newSize, "newSize");
  if (oldSize === 0 || oldSize > newSize) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", "a consistency proof needs 0 < oldSize <= newSize", {
      oldSize,
      newSize,
    });
  }
  // SUBPROOF recursion unrolled: each step appends one subtree hash after the recursive part, so the
  // siblings are collected top-down and reversed; the "b" flag records whether we are still on the
  // old tree's own root path (then MTH of the final subtree is known to the verifier and omitted).
  const siblings: LeafRange[] = [];
  let start = 0;
  let end = newSize;
  let onOldRootPath = true;
  while (oldSize !== end) {
    const k = largestPowerOfTwoBelow(end - start);
    if (oldSize <= start + k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
      onOldRootPath = false;
    }
  }
  const ranges = siblings.reverse();
  if (!onOldRootPath) ranges.unshift({ start, end });
  return planRanges(newSize, ranges);
}

/** Addresses of every stored hash needed for an inclusion proof, each once. Requires 0 <= index < size. */
export function inclusionProofAddresses(index: number, size: number): HashAddress[] {
  return planInclusion(index, size).addresses;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]) built from the hashes at inclusionProofAddresses(index, size), in that order. */
export function assembleInclusionProof(index: number, size: number, hashes: readonly Hash[]): Hash[] {
  return assemblePlan(planInclusion(index, size), hashes);
}

/** RFC 9162 §2.1.3.1 inclusion proof for leaf index in a tree of size; one batched read. Requires 0 <= index < size. */
export function inclusionProof(index: number, size: number, read: ReadHashes): Hash[] {
  return readPlan(planInclusion(index, size), read);
}

/** Addresses of every stored hash needed for a consistency proof, each once. Requires 0 < oldSize <= newSize (equal sizes give []). */
export function consistencyProofAddresses(oldSize: number, newSize: number): HashAddress[] {
  return planConsistency(oldSize, newSize).addresses;
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]) built from the hashes at consistencyProofAddresses(oldSize, newSize), in that order. */
export function assembleConsistencyProof(oldSize: number, newSize: number, hashes: readonly Hash[]): Hash[] {
  return assemblePlan(planConsistency(oldSize, newSize), hashes);
}

/** RFC 9162 §2.1.4.1 consistency proof from oldSize to newSize; one batched read. Requires 0 < oldSize <= newSize. */
export function consistencyProof(oldSize: number, newSize: number, read: ReadHashes): Hash[] {
  return readPlan(planConsistency(oldSize, newSize), read);
}

/** Addresses of the peaks whose fold is the root of a tree of this size. Requires 0 <= size <= 2^53-1. */
export function treeHashAddresses(size: number): HashAddress[] {
  return peakAddresses(size);
}

/** MTH(D[size]) (RFC 9162 §2.1.1) from stored peaks; EMPTY_ROOT (a copy) for size 0. */
export function treeHash(size: number, read: ReadHashes): Hash {
  const addresses = treeHashAddresses(size);
  if (addresses.length === 0) return Buffer.from(EMPTY_ROOT);
  const plan: ProofPlan = { elements: addresses.map((stored) => ({ stored })), addresses, peaks: addresses };
  return rootFromPeaks(readPlan(plan, read));
}
