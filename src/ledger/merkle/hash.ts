// RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hashing: domain-separated SHA-256 of leaves and interior nodes.
import { hash as sha256OneShot } from "node:crypto";

/** A SHA-256 Merkle tree hash; always HASH_SIZE (32) bytes. */
export type Hash = Buffer;

export const HASH_SIZE = 32;

// RFC 9162 §2.1.1: leaves are hashed with a 0x00 prefix and interior nodes with 0x01, so that a
// leaf can never be passed off as an interior node (second-preimage resistance).
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/** SHA-256(0x00 || entry): the hash of one log entry (RFC 9162 §2.1.1, MTH({d(0)})). */
export function leafHash(entry: Uint8Array): Hash {
  const input = Buffer.allocUnsafe(1 + entry.length);
  input[0] = LEAF_PREFIX;
  input.set(entry, 1);
  return sha256OneShot("sha256", input, "buffer");
}

/**
 * SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 §2.1.1).
 * Callers inside the tree always pass 32-byte hashes; any lengths are hashed as given.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  const input = Buffer.allocUnsafe(1 + left.length + right.length);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256OneShot("sha256", input, "buffer");
}

/**
 * MTH({}) = SHA-256 of the empty string (RFC 9162 §2.1.1). Shared: never mutate it; functions
 * that return the empty root hand out a copy.
 */
export const EMPTY_ROOT: Hash = sha256OneShot("sha256", Buffer.alloc(0), "buffer");

/** True when value is a Uint8Array of exactly HASH_SIZE bytes. */
export function isHash(value: unknown): boolean {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}
