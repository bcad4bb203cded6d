// CompactRange and peakAddresses against transparency-dev's compact trees, the slow reference, and restore-and-continue properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CompactRange,
  EMPTY_ROOT,
  leafHash,
  peakAddresses,
  popcount,
  type Hash,
} from "../../../src/ledger/merkle/index.js";
import { testEntries } from "./memory-store.js";
import { referenceRoot } from "./reference.js";
import { hex, rfc6962 } from "./vectors.js";
import { expectCode } from "../../support/errors.js";

const entries = testEntries(2100);
const leafHashes = entries.map((entry) => leafHash(entry));

function rangeOf(size: number): CompactRange {
  const range = CompactRange.empty();
  for (const hash of leafHashes.slice(0, size)) range.append(hash);
  return range;
}

describe("CompactRange against transparency-dev/merkle testonly vectors", () => {
  const leaves = rfc6962.leafInputsHex.map(hex);

  it("has the roots and compact trees of every size 0..8", () => {
    const range = CompactRange.empty();
    for (let size = 0; size <= leaves.length; size++) {
      if (size > 0) range.append(leafHash(leaves[size - 1] as Buffer));
      expect(range.size).toBe(size);
      expect(range.root().toString("hex")).toBe(rfc6962.rootHashesHex[size]);
      const expectedPeaks = (rfc6962.compactTrees[size] ?? []).map(([level, index]) => rfc6962.nodeHashesHex[level]?.[index]);
      expect(range.peaks.map((peak) => peak.toString("hex"))).toEqual(expectedPeaks);
      expect(peakAddresses(size).map(({ level, index }) => [level, index])).toEqual(rfc6962.compactTrees[size]);
    }
  });

  it("returns the completed node hashes from append", () => {
    const range = CompactRange.empty();
    leaves.forEach((leaf, oldSize) => {
      const completed = range.append(leafHash(leaf));
      completed.forEach((hash, level) => {
        expect(hash.toString("hex")).toBe(rfc6962.nodeHashesHex[level]?.[Math.floor(oldSize / 2 ** level)]);
      });
      // One completed hash per trailing one bit of the old size, plus the leaf.
      let trailingOnes = 0;
      for (let rest = oldSize; rest % 2 === 1; rest = Math.floor(rest / 2)) trailingOnes++;
      expect(completed).toHaveLength(trailingOnes + 1);
    });
  });
});

describe("CompactRange against the RFC 9162 reference", () => {
  it("root equals MTH at every size 0..1100", () => {
    const range = CompactRange.empty();
    expect(range.root().equals(EMPTY_ROOT)).toBe(true);
    for (let size = 1; size <= 1100; size++) {
      range.append(leafHashes[size - 1] as Hash);
      expect(range.root().equals(referenceRoot(entries.slice(0, size)))).toBe(true);
    }
  });

  it("root equals MTH at random sizes up to 2100", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2100 }), (size) => {
        expect(rangeOf(size).root().equals(referenceRoot(entries.slice(0, size)))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("peaks restore a range that continues identically", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 1, max: 600 }), (size, more) => {
        const original = rangeOf(size);
        const restored = new CompactRange(original.size, original.peaks);
        expect(restored.root().equals(original.root())).toBe(true);
        for (const hash of leafHashes.slice(size, size + more)) {
          const a = original.append(hash);
          const b = restored.append(hash);
          expect(b.map((h) => h.toString("hex"))).toEqual(a.map((h) => h.toString("hex")));
        }
        expect(restored.size).toBe(original.size);
        expect(restored.peaks).toEqual(original.peaks);
        expect(restored.root().equals(original.root())).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("has popcount(size) peaks located at peakAddresses(size)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2100 }), (size) => {
        const addresses = peakAddresses(size);
        expect(addresses).toHaveLength(popcount(size));
        expect(rangeOf(size).peaks).toHaveLength(addresses.length);
        // Largest first, contiguous from leaf 0 to size.
        let start = 0;
        for (const { level, index } of addresses) {
          expect(index * 2 ** level).toBe(start);
          start += 2 ** level;
        }
        expect(start).toBe(size);
      }),
    );
  });
});

describe("CompactRange value semantics and preconditions", () => {
  it("clone is independent of the original", () => {
    const a = rangeOf(5);
    const b = a.clone();
    b.append(leafHashes[5] as Hash);
    expect(a.size).toBe(5);
    expect(b.size).toBe(6);
    expect(a.root().equals(rangeOf(5).root())).toBe(true);
  });

  it("does not share buffers with callers", () => {
    const range = rangeOf(3);
    const root = range.root();
    range.peaks.forEach((peak) => peak.fill(0));
    range.root().fill(0);
    expect(range.root().equals(root)).toBe(true);
    const empty = CompactRange.empty().root();
    empty.fill(0);
    expect(CompactRange.empty().root().equals(EMPTY_ROOT)).toBe(true);
    expect(EMPTY_ROOT.toString("hex")).toBe(rfc6962.hasher.emptyRootHex);
  });

  it("rejects a peak count that does not match the size", () => {
    expectCode(() => new CompactRange(3, [Buffer.alloc(32)]), "INDEX_OUT_OF_RANGE");
    expectCode(() => new CompactRange(0, [Buffer.alloc(32)]), "INDEX_OUT_OF_RANGE");
    expectCode(() => new CompactRange(1, [Buffer.alloc(31)]), "INDEX_OUT_OF_RANGE");
  });

  it("rejects sizes that are not safe non-negative integers", () => {
    for (const size of [-1, 1.5, Number.NaN, Infinity, 2 ** 53]) {
      expectCode(() => new CompactRange(size, []), "INDEX_OUT_OF_RANGE");
      expectCode(() => peakAddresses(size), "INDEX_OUT_OF_RANGE");
    }
  });

  it("rejects leaves that are not 32 bytes", () => {
    expectCode(() => CompactRange.empty().append(Buffer.alloc(33)), "INDEX_OUT_OF_RANGE");
  });

  it("handles the largest safe size", () => {
    const size = Number.MAX_SAFE_INTEGER;
    const addresses = peakAddresses(size);
    expect(addresses).toHaveLength(53);
    expect(addresses[0]).toEqual({ level: 52, index: 0 });
    expect(addresses[52]).toEqual({ level: 0, index: size - 1 });
    const full = new CompactRange(size, addresses.map(() => Buffer.alloc(32, 1)));
    expectCode(() => full.append(Buffer.alloc(32)), "INDEX_OUT_OF_RANGE");
    const almost = new CompactRange(size - 1, peakAddresses(size - 1).map(() => Buffer.alloc(32, 2)));
    expect(almost.append(Buffer.alloc(32, 3))).toHaveLength(1);
    expect(almost.size).toBe(size);
  });
});

describe("CompactRange.extend and appendSubtree (ranges merged as a parallel verify merges its workers' spans)", () => {
  const rangeBetween = (from: number, to: number): CompactRange => {
    const range = CompactRange.empty();
    for (const hash of leafHashes.slice(from, to)) range.append(hash);
    return range;
  };

  it("a range of size k*2^c extended by the range of any span after it equals the range built leaf by leaf", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 255 }), (level, chunks, rest) => {
        const width = 2 ** level;
        const from = chunks * width;
        const to = Math.min(leafHashes.length, from + (rest % (width + 1)));
        const merged = rangeOf(from);
        merged.extend(rangeBetween(from, to));
        const expected = rangeOf(to);
        expect(merged.size).toBe(to);
        expect(merged.peaks).toEqual(expected.peaks);
        expect(merged.root().equals(referenceRoot(entries.slice(0, to)))).toBe(true);
      }),
    );
  });

  it("appendSubtree returns the hashes the last leaf of the subtree completes above it", () => {
    for (const level of [0, 1, 3, 5]) {
      const width = 2 ** level;
      const leafByLeaf = CompactRange.empty();
      for (let from = 0; from + width <= 1024; from += width) {
        const merged = leafByLeaf.clone();
        const completed = merged.appendSubtree(level, rangeBetween(from, from + width).peaks[0] as Hash);
        let last: Hash[] = [];
        for (const hash of leafHashes.slice(from, from + width)) last = leafByLeaf.append(hash);
        expect(completed).toEqual(last.slice(level));
        expect(merged.peaks).toEqual(leafByLeaf.peaks);
      }
    }
  });

  it("refuses a subtree that would not sit right of every peak, or a hash of the wrong size", () => {
    expectCode(() => rangeOf(6).appendSubtree(2, leafHashes[0] as Hash), "INDEX_OUT_OF_RANGE");
    expectCode(() => rangeOf(4).appendSubtree(2, Buffer.alloc(31)), "INDEX_OUT_OF_RANGE");
    expectCode(() => rangeOf(4).extend(rangeOf(8)), "INDEX_OUT_OF_RANGE");
  });
});
