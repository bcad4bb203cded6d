// Proof generation over stored hashes: equal to the RFC 9162 reference, transparency-dev's vectors, O(log n) batched reads.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assembleConsistencyProof,
  assembleInclusionProof,
  consistencyProof,
  consistencyProofAddresses,
  EMPTY_ROOT,
  inclusionProof,
  inclusionProofAddresses,
  leafHash,
  treeHash,
  treeHashAddresses,
  type Hash,
  type HashAddress,
} from "../../../src/ledger/merkle/index.js";
import { MemoryHashStore, testEntries } from "./memory-store.js";
import { referenceConsistency, referencePath, referenceRoot } from "./reference.js";
import { hex, rfc6962 } from "./vectors.js";
import { expectCode } from "../../support/errors.js";

const MAX = 2048;
const entries = testEntries(MAX);
const store = MemoryHashStore.fromEntries(entries);

const toHex = (hashes: readonly Hash[]): string[] => hashes.map((h) => h.toString("hex"));
const sizeAndIndex = fc.integer({ min: 1, max: MAX }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1)));
const twoSizes = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

function keys(addresses: readonly HashAddress[]): string[] {
  return addresses.map(({ level, index }) => `${level}/${index}`);
}

/** ceil(log2(n)) */
function depth(n: number): number {
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

describe("inclusion proofs", () => {
  it("equal RFC 9162 PATH(m, D[n]) for random sizes and indexes", () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const proof = inclusionProof(index, size, store.read);
        expect(toHex(proof)).toEqual(toHex(referencePath(index, entries.slice(0, size))));
      }),
      { numRuns: 200 },
    );
  });

  it("equal the reference for every index of every size up to 40", () => {
    for (let size = 1; size <= 40; size++) {
      for (let index = 0; index < size; index++) {
        expect(toHex(inclusionProof(index, size, store.read))).toEqual(toHex(referencePath(index, entries.slice(0, size))));
      }
    }
  });

  it("read each address once, in a single batch, O(log n) addresses", () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const before = store.batches.length;
        inclusionProof(index, size, store.read);
        const batches = store.batches.slice(before);
        const addresses = inclusionProofAddresses(index, size);
        expect(batches).toEqual(size === 1 ? [] : [addresses]);
        expect(new Set(keys(addresses)).size).toBe(addresses.length);
        // Siblings on the path plus the peaks that make up the right-edge sibling.
        expect(addresses.length).toBeLessThanOrEqual(2 * depth(size));
      }),
      { numRuns: 200 },
    );
  });

  it("assembleInclusionProof builds the same proof from separately fetched hashes", () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const hashes = store.read(inclusionProofAddresses(index, size));
        expect(toHex(assembleInclusionProof(index, size, hashes))).toEqual(toHex(inclusionProof(index, size, store.read)));
      }),
      { numRuns: 50 },
    );
  });

  it("reproduce transparency-dev/merkle's inclusion proofs", () => {
    const leaves = rfc6962.leafInputsHex.map(hex);
    const small = MemoryHashStore.fromEntries(leaves);
    for (const { leaf, size, proofHex } of rfc6962.inclusionProofs.filter((p) => p.leaf > 0)) {
      expect(toHex(inclusionProof(leaf - 1, size, small.read))).toEqual(proofHex);
    }
  });

  it("reject index >= size and unsafe numbers", () => {
    expectCode(() => inclusionProofAddresses(0, 0), "INDEX_OUT_OF_RANGE");
    expectCode(() => inclusionProofAddresses(5, 5), "INDEX_OUT_OF_RANGE");
    expectCode(() => inclusionProofAddresses(-1, 5), "INDEX_OUT_OF_RANGE");
    expectCode(() => inclusionProofAddresses(0.5, 5), "INDEX_OUT_OF_RANGE");
    expectCode(() => inclusionProofAddresses(0, 2 ** 53), "INDEX_OUT_OF_RANGE");
    expectCode(() => inclusionProof(3, 2, store.read), "INDEX_OUT_OF_RANGE");
  });
});

describe("consistency proofs", () => {
  it("equal RFC 9162 PROOF(m, D[n]) for random sizes", () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        const proof = consistencyProof(oldSize, newSize, store.read);
        expect(toHex(proof)).toEqual(toHex(referenceConsistency(oldSize, entries.slice(0, newSize))));
      }),
      { numRuns: 200 },
    );
  });

  it("equal the reference for every pair of sizes up to 40", () => {
    for (let newSize = 1; newSize <= 40; newSize++) {
      for (let oldSize = 1; oldSize <= newSize; oldSize++) {
        const expected = referenceConsistency(oldSize, entries.slice(0, newSize));
        expect(toHex(consistencyProof(oldSize, newSize, store.read))).toEqual(toHex(expected));
      }
    }
  });

  it("read each address once, in a single batch, O(log n) addresses", () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        const before = store.batches.length;
        consistencyProof(oldSize, newSize, store.read);
        const batches = store.batches.slice(before);
        const addresses = consistencyProofAddresses(oldSize, newSize);
        expect(batches).toEqual(oldSize === newSize ? [] : [addresses]);
        expect(new Set(keys(addresses)).size).toBe(addresses.length);
        expect(addresses.length).toBeLessThanOrEqual(2 * depth(newSize) + 1);
      }),
      { numRuns: 200 },
    );
  });

  it("assembleConsistencyProof builds the same proof from separately fetched hashes", () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        const hashes = store.read(consistencyProofAddresses(oldSize, newSize));
        expect(toHex(assembleConsistencyProof(oldSize, newSize, hashes))).toEqual(
          toHex(consistencyProof(oldSize, newSize, store.read)),
        );
      }),
      { numRuns: 50 },
    );
  });

  it("reproduce transparency-dev/merkle's consistency proofs", () => {
    const small = MemoryHashStore.fromEntries(rfc6962.leafInputsHex.map(hex));
    for (const { size1, size2, proofHex } of rfc6962.consistencyProofs) {
      expect(toHex(consistencyProof(size1, size2, small.read))).toEqual(proofHex);
    }
  });

  it("reject oldSize 0, oldSize > newSize and unsafe numbers", () => {
    expectCode(() => consistencyProofAddresses(0, 5), "INDEX_OUT_OF_RANGE");
    expectCode(() => consistencyProofAddresses(6, 5), "INDEX_OUT_OF_RANGE");
    expectCode(() => consistencyProofAddresses(1, 2 ** 53), "INDEX_OUT_OF_RANGE");
    expectCode(() => consistencyProof(2, 1, store.read), "INDEX_OUT_OF_RANGE");
  });
});

describe("tree hashes", () => {
  it("treeHash equals MTH for random sizes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX }), (size) => {
        expect(treeHash(size, store.read).equals(referenceRoot(entries.slice(0, size)))).toBe(true);
        expect(treeHashAddresses(size).length).toBeLessThanOrEqual(depth(size) + 1);
      }),
      { numRuns: 100 },
    );
  });

  it("treeHash of the empty tree reads nothing", () => {
    const before = store.batches.length;
    expect(treeHash(0, store.read).equals(EMPTY_ROOT)).toBe(true);
    expect(store.batches.length).toBe(before);
  });
});

describe("stored hashes from a store", () => {
  it("rejects a wrong number of hashes or a hash of the wrong size as LEDGER_CORRUPT", () => {
    const addresses = inclusionProofAddresses(3, 7);
    const hashes = store.read(addresses);
    expectCode(() => assembleInclusionProof(3, 7, hashes.slice(1)), "LEDGER_CORRUPT");
    expectCode(() => assembleInclusionProof(3, 7, [...hashes, Buffer.alloc(32)]), "LEDGER_CORRUPT");
    expectCode(() => assembleInclusionProof(3, 7, [Buffer.alloc(31), ...hashes.slice(1)]), "LEDGER_CORRUPT");
    expectCode(() => inclusionProof(3, 7, () => []), "LEDGER_CORRUPT");
    expectCode(() => treeHash(7, () => [Buffer.alloc(32)]), "LEDGER_CORRUPT");
  });

  it("does not let callers mutate what the store returned", () => {
    const addresses = inclusionProofAddresses(0, 2);
    const hashes = store.read(addresses).map((h) => Buffer.from(h));
    const proof = assembleInclusionProof(0, 2, hashes);
    proof[0]?.fill(0);
    expect(toHex(assembleInclusionProof(0, 2, hashes))).toEqual([leafHash(entries[1] as Buffer).toString("hex")]);
  });
});

describe("address planning at the largest safe sizes", () => {
  it("plans proofs with exact integer addresses near 2^53", () => {
    const size = Number.MAX_SAFE_INTEGER;
    for (const index of [0, 1, 2 ** 52 - 1, 2 ** 52, size - 2, size - 1]) {
      const addresses = inclusionProofAddresses(index, size);
      for (const { level, index: k } of addresses) {
        expect(Number.isSafeInteger(k)).toBe(true);
        expect(k * 2 ** level + 2 ** level).toBeLessThanOrEqual(size);
      }
      expect(addresses.length).toBeLessThanOrEqual(2 * 53);
    }
    for (const oldSize of [1, 2 ** 52, 2 ** 52 + 1, size - 1, size]) {
      for (const { level, index } of consistencyProofAddresses(oldSize, size)) {
        expect(index * 2 ** level + 2 ** level).toBeLessThanOrEqual(size);
      }
    }
  });
});
