// RFC 6962 / RFC 9162 hashing and inclusion-proof verification, in the browser with WebCrypto.
import { concat, sha256 } from "./bytes.js";

// RFC 6962 §2.1: leaf hashes are prefixed 0x00, interior node hashes 0x01.
const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);
export const HASH_SIZE = 32;

export const leafHash = (entry: Uint8Array): Promise<Uint8Array> => sha256(concat(LEAF_PREFIX, entry));
export const nodeHash = (left: Uint8Array, right: Uint8Array): Promise<Uint8Array> => sha256(concat(NODE_PREFIX, left, right));

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2 steps 1-7). Requires 0 <= index < size;
 * returns a reason instead of a root when the proof cannot be for this index and size.
 */
export async function rootFromInclusionProof(leaf: Uint8Array, index: number, size: number, proof: readonly Uint8Array[]): Promise<Uint8Array | string> {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return `index ${index} is not inside a tree of ${size}`;
  // Math.floor instead of >> keeps indexes above 2^32 exact.
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== HASH_SIZE) return "a proof hash is not 32 bytes";
    if (sn === 0) return "the proof is too long";
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : "the proof is too short";
}
