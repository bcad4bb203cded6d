// Verification of inclusion and consistency proofs (RFC 9162 §2.1.3.2 and §2.1.4.2).
import { ArbiterError } from "../../record/errors.js";
import { requireTreeCount } from "./compact.js";
import { EMPTY_ROOT, HASH_SIZE, isHash, nodeHash, type Hash } from "./hash.js";

// The RFC algorithms shift fn and sn right; here that is Math.floor(x / 2) so that values up to
// 2^53 - 1 stay exact (JS bitwise operators truncate to 32 bits).
const half = (x: number): number => Math.floor(x / 2);
const lsb = (x: number): boolean => x % 2 === 1;

function isPowerOfTwo(n: number): boolean {
  let power = 1;
  while (power < n) power *= 2;
  return power === n;
}

function b64(hash: Uint8Array): string {
  return Buffer.from(hash).toString("base64");
}

function invalid(message: string, details: Record<string, unknown> = {}): ArbiterError {
  return new ArbiterError("PROOF_INVALID", message, details);
}

function requireHash(value: Uint8Array, what: string): void {
  if (!isHash(value)) {
    throw invalid(`${what} is not a ${HASH_SIZE}-byte hash`, { [what]: b64(value), length: value.length });
  }
}

function requireProofHashes(proof: readonly Uint8Array[]): void {
  proof.forEach((hash, i) => {
    if (!isHash(hash)) throw invalid(`proof hash ${i} is not a ${HASH_SIZE}-byte hash`, { position: i });
  });
}

/**
 * The root implied by an inclusion proof (RFC 9162 §2.1.3.2 steps 1-7).
 * Throws INDEX_OUT_OF_RANGE unless 0 <= index < size, PROOF_INVALID if the proof has the wrong length.
 */
export function rootFromInclusionProof(leaf: Hash, index: number, size: number, proof: readonly Hash[]): Hash {
  requireTreeCount(index, "index");
  requireTreeCount(size, "size");
  if (index >= size) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", "an inclusion proof needs 0 <= index < size", { index, size });
  }
  requireHash(leaf, "leaf");
  requireProofHashes(proof);
  let fn = index;
  let sn = size - 1;
  let r: Hash = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) throw invalid("inclusion proof is too long", { index, size, proofLength: proof.length });
    if (lsb(fn) || fn === sn) {
      r = nodeHash(p, r);
      // Skip levels where this node is the right-most and has no sibling.
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid("inclusion proof is too short", { index, size, proofLength: proof.length });
  return r;
}

/**
 * Checks that leaf is at index in the tree of this size with this root (RFC 9162 §2.1.3.2).
 * Throws PROOF_INVALID (details: expectedRoot, calculatedRoot in base64) or INDEX_OUT_OF_RANGE.
 */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: readonly Hash[], root: Hash): void {
  const calculated = rootFromInclusionProof(leaf, index, size, proof);
  if (!isHash(root) || !calculated.equals(root)) {
    throw invalid("inclusion proof does not lead to the expected root", {
      index,
      size,
      expectedRoot: b64(root),
      calculatedRoot: b64(calculated),
    });
  }
}

/**
 * Checks that the tree of oldSize with oldRoot is a prefix of the tree of newSize with newRoot
 * (RFC 9162 §2.1.4.2). Every tree is consistent with the empty tree (oldSize 0, EMPTY_ROOT, empty
 * proof). Throws INDEX_OUT_OF_RANGE if oldSize > newSize, else PROOF_INVALID (details: expected and
 * calculated roots in base64).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Hash,
  newRoot: Hash,
  proof: readonly Hash[],
): void {
  requireTreeCount(oldSize, "oldSize");
  requireTreeCount(newSize, "newSize");
  if (oldSize > newSize) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", "a consistency proof needs oldSize <= newSize", { oldSize, newSize });
  }
  requireHash(oldRoot, "oldRoot");
  requireHash(newRoot, "newRoot");
  requireProofHashes(proof);
  const sizes = { oldSize, newSize, proofLength: proof.length };
  if (oldSize === 0 || oldSize === newSize) {
    // Step 1 of §2.1.4.2 for equal sizes; the empty tree is a prefix of every tree.
    if (proof.length !== 0) throw invalid("a consistency proof for these sizes must be empty", sizes);
    if (oldSize === 0 && !oldRoot.equals(EMPTY_ROOT)) {
      throw invalid("old root is not the empty tree's root", {
        ...sizes,
        expectedRoot: b64(EMPTY_ROOT),
        calculatedRoot: b64(oldRoot),
      });
    }
    if (oldSize === newSize && !oldRoot.equals(newRoot)) {
      throw invalid("roots of equal-sized trees differ", { ...sizes, expectedRoot: b64(newRoot), calculatedRoot: b64(oldRoot) });
    }
    return;
  }
  if (proof.length === 0) throw invalid("consistency proof is empty", sizes);

  // Step 2: when oldSize is a power of two the old root is itself a node of the new tree and is omitted.
  const path: readonly Hash[] = isPowerOfTwo(oldSize) ? [Buffer.from(oldRoot), ...proof] : proof;
  let fn = oldSize - 1;
  let sn = newSize - 1;
  // Step 4: skip the levels where the old tree's last leaf is a right child.
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0) throw invalid("consistency proof is too long", sizes);
    if (lsb(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!lsb(fn)) {
        while (!lsb(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw invalid("consistency proof is too short", sizes);
  if (!fr.equals(oldRoot)) {
    throw invalid("consistency proof does not lead to the old root", {
      ...sizes,
      expectedRoot: b64(oldRoot),
      calculatedRoot: b64(fr),
    });
  }
  if (!sr.equals(newRoot)) {
    throw invalid("consistency proof does not lead to the new root", {
      ...sizes,
      expectedRoot: b64(newRoot),
      calculatedRoot: b64(sr),
    });
  }
}
