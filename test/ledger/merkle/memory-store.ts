// An in-memory store of perfect-subtree hashes for tests, filled the way a real store is: from CompactRange.append.
import { CompactRange, leafHash, type Hash, type HashAddress, type ReadHashes } from "../../../src/ledger/merkle/index.js";

export class MemoryHashStore {
  /** levels[L][k] = hash of the perfect subtree at level L, index k. */
  readonly levels: Hash[][] = [];
  readonly range = CompactRange.empty();
  /** Every batch passed to read, for counting fetches. */
  readonly batches: HashAddress[][] = [];

  static fromEntries(entries: readonly Uint8Array[]): MemoryHashStore {
    const store = new MemoryHashStore();
    for (const entry of entries) store.append(entry);
    return store;
  }

  get size(): number {
    return this.range.size;
  }

  append(entry: Uint8Array): void {
    const oldSize = this.range.size;
    // append returns hash i at { level: i, index: floor(oldSize / 2^i) }.
    this.range.append(leafHash(entry)).forEach((hash, level) => {
      (this.levels[level] ??= [])[Math.floor(oldSize / 2 ** level)] = hash;
    });
  }

  readonly read: ReadHashes = (addresses) => {
    this.batches.push([...addresses]);
    return addresses.map(({ level, index }) => {
      const hash = this.levels[level]?.[index];
      if (hash === undefined) throw new Error(`no stored hash at ${level}/${index}`);
      return hash;
    });
  };
}

/** Deterministic test entries: the UTF-8 bytes of "entry <i>". */
export function testEntries(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(`entry ${i}`));
}
