// 52-bit hashes of join keys: exact in a double, so 1M decisions fit in Float64Arrays instead of string maps.

/** Stored beside the hashes in linkage_meta; a change of this function must bump it so the table is rebuilt. */
export const KEY_HASH_VERSION = "fnv1a-2x32/52-v1";

/**
 * Two 32-bit FNV-1a lanes with different offsets and a final avalanche each, 20 + 32 bits kept.
 * Collisions only cost a wasted comparison: every candidate is checked on all of its key hashes,
 * and decision ids on their text.
 */
export function keyHash(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 13);
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 16;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return (b & 0xfffff) * 0x1_0000_0000 + (a >>> 0);
}

/** The subject + action + resource key of the weakest join. */
export function sarHash(subject: string, action: string, resource: string): number {
  return keyHash(`${subject}\u0000${action}\u0000${resource}`);
}
