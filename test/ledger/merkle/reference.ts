// Slow reference Merkle tree for tests: MTH, PATH and PROOF written straight from RFC 9162 §2.1 over the list of leaves.
import { createHash } from "node:crypto";

// Deliberately independent of src/: its own SHA-256 calls and plain recursion, no stored hashes.
function sha256(...parts: Uint8Array[]): Buffer {
  const h = createHash("sha256");
  for (const part of parts) h.update(part);
  return h.digest();
}

/** The largest power of two smaller than n (RFC 9162 §2.1.1 "k"). Requires n > 1. */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 9162 §2.1.1 MTH(D[n]). */
export function referenceRoot(leaves: readonly Uint8Array[]): Buffer {
  const n = leaves.length;
  if (n === 0) return sha256();
  if (n === 1) return sha256(Buffer.from([0x00]), leaves[0] as Uint8Array);
  const k = splitPoint(n);
  return sha256(Buffer.from([0x01]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** RFC 9162 §2.1.3.1 PATH(m, D[n]). Requires 0 <= m < n. */
export function referencePath(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  const n = leaves.length;
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))];
  return [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[n], b). */
function subproof(m: number, leaves: readonly Uint8Array[], b: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return b ? [] : [referenceRoot(leaves)];
  const k = splitPoint(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), b), referenceRoot(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]). Requires 0 < m <= n. */
export function referenceConsistency(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  return subproof(m, leaves, true);
}

/**
 * Which side each sibling of PATH(m, D[n]) is on, leaf first: the shape of an inclusion proof. Two
 * (m, n) pairs with the same shape are verified by the same computation (RFC 9162 §2.1.3.2 binds the
 * size only through this shape; the signed checkpoint binds it to the root).
 */
export function referencePathShape(m: number, n: number): ("left" | "right")[] {
  if (n <= 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...referencePathShape(m, k), "right"];
  return [...referencePathShape(m - k, n - k), "left"];
}
