// Where an entry's bytes live: each entry row stores the subtree hashes it completed, then its data.
import type { StoredEntry, SubtreeAddress } from "../types.js";

export const HASH_SIZE = 32;

/** How many hashes entry `index` completed: its leaf hash and one parent per trailing 1 bit of index. */
export function completedHashCount(index: number): number {
  let count = 1;
  for (let n = index + 1; n % 2 === 0; n /= 2) count++;
  return count;
}

export function splitBody(index: number, body: Buffer): StoredEntry {
  const split = Math.min(body.length, completedHashCount(index) * HASH_SIZE);
  return { index, hashes: body.subarray(0, split), data: body.subarray(split) };
}

/** The entry that completes a perfect subtree stores its root: entry (k+1)*2^L - 1, slot L. */
export function storageSlot(address: SubtreeAddress): { row: number; offset: number } {
  return { row: (address.index + 1) * 2 ** address.level - 1, offset: address.level * HASH_SIZE };
}
