// Which events a run has already read (source + original id), in typed arrays rather than a Set of strings.
import { keyHash } from "./key-hash.js";

/**
 * A Map of 1M id strings kept ≈ 100 MB alive on the heap and made every major collection slower
 * (measured); two 52-bit hashes per key in open addressing take 20 bytes a slot. Two different
 * keys would have to agree on both hashes (104 bits) to be taken for a duplicate.
 */
export class SeenSet {
  private mask = 1023;
  private first = new Float64Array(1024).fill(Number.NaN);
  private second = new Float64Array(1024);
  private lines = new Int32Array(1024);
  private size = 0;

  /** The line where this key was first seen, or undefined (and it is remembered with `line`). */
  firstLine(key: string, line: number): number | undefined {
    const a = keyHash(key);
    const b = keyHash(`${key}\u0001`);
    let slot = (a >>> 0) & this.mask;
    for (;;) {
      const there = this.first[slot] as number;
      if (there !== there) break;
      if (there === a && this.second[slot] === b) return this.lines[slot];
      slot = (slot + 1) & this.mask;
    }
    this.first[slot] = a;
    this.second[slot] = b;
    this.lines[slot] = line;
    if (++this.size * 2 > this.mask) this.grow();
    return undefined;
  }

  private grow(): void {
    const [first, second, lines] = [this.first, this.second, this.lines];
    const capacity = (this.mask + 1) * 2;
    this.mask = capacity - 1;
    this.first = new Float64Array(capacity).fill(Number.NaN);
    this.second = new Float64Array(capacity);
    this.lines = new Int32Array(capacity);
    for (let i = 0; i < first.length; i++) {
      const a = first[i] as number;
      if (a !== a) continue;
      let slot = (a >>> 0) & this.mask;
      while (this.first[slot] === this.first[slot]) slot = (slot + 1) & this.mask;
      this.first[slot] = a;
      this.second[slot] = second[i] as number;
      this.lines[slot] = lines[i] as number;
    }
  }
}
