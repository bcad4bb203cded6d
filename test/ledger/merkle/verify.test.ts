// Proof verification properties over random trees, wrong sizes and indexes, and trees of up to 2^53-1 leaves.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import {
  consistencyProof,
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromInclusionProof,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type HashAddress,
  type ReadHashes,
} from "../../../src/ledger/merkle/index.js";
import { MemoryHashStore, testEntries } from "./memory-store.js";
import { referencePathShape, referenceRoot } from "./reference.js";

const MAX = 2048;
const entries = testEntries(MAX);
const store = MemoryHashStore.fromEntries(entries);
const roots = new Map<number, Hash>();
const rootOf = (size: number): Hash => {
  let root = roots.get(size);
  if (root === undefined) {
    root = treeHash(size, store.read);
    roots.set(size, root);
  }
  return root;
};

function rejection(fn: () => unknown): ArbiterError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ArbiterError) return err;
    throw err;
  }
  return undefined;
}

function expectRejected(fn: () => unknown, codes: string[] = ["PROOF_INVALID", "INDEX_OUT_OF_RANGE"]): void {
  const err = rejection(fn);
  expect(err, "expected an ArbiterError").toBeDefined();
  expect(codes).toContain(err?.code);
}

function flipBit(hash: Hash, bit: number): Hash {
  const copy = Buffer.from(hash);
  copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
  return copy;
}

const sizeAndIndex = fc.integer({ min: 1, max: MAX }).chain((size) => fc.tuple(fc.constant(size), fc.nat(size - 1)));
const twoSizes = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)));

describe("inclusion verification properties", () => {
  it("accepts every generated proof", () => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const leaf = leafHash(entries[index] as Buffer);
        const proof = inclusionProof(index, size, store.read);
        expect(rootFromInclusionProof(leaf, index, size, proof).equals(referenceRoot(entries.slice(0, size)))).toBe(true);
        verifyInclusion(leaf, index, size, proof, rootOf(size));
      }),
      { numRuns: 200 },
    );
  });

  it("rejects any single-bit change of the proof, the leaf or the root", () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), fc.nat(255), ([size, index], which, bit) => {
        const leaf = leafHash(entries[index] as Buffer);
        const proof = inclusionProof(index, size, store.read);
        const root = rootOf(size);
        const target = which % (proof.length + 2);
        if (target < proof.length) {
          const damaged = proof.map((h, i) => (i === target ? flipBit(h, bit) : h));
          expectRejected(() => verifyInclusion(leaf, index, size, damaged, root), ["PROOF_INVALID"]);
        } else if (target === proof.length) {
          expectRejected(() => verifyInclusion(flipBit(leaf, bit), index, size, proof, root), ["PROOF_INVALID"]);
        } else {
          expectRejected(() => verifyInclusion(leaf, index, size, proof, flipBit(root, bit)), ["PROOF_INVALID"]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects any other index", () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.integer({ min: 0, max: 2 * MAX }), ([size, index], other) => {
        fc.pre(other !== index);
        const proof = inclusionProof(index, size, store.read);
        expectRejected(() => verifyInclusion(leafHash(entries[index] as Buffer), other, size, proof, rootOf(size)));
      }),
      { numRuns: 300 },
    );
  });

  it("rejects another size unless it gives the proof the same shape", () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.integer({ min: 0, max: 2 * MAX }), ([size, index], other) => {
        fc.pre(other !== size);
        const leaf = leafHash(entries[index] as Buffer);
        const proof = inclusionProof(index, size, store.read);
        const sameShape =
          index < other && JSON.stringify(referencePathShape(index, other)) === JSON.stringify(referencePathShape(index, size));
        const err = rejection(() => verifyInclusion(leaf, index, other, proof, rootOf(size)));
        expect(err === undefined).toBe(sameShape);
        // With the other size's real root the proof never verifies unless the proofs coincide.
        if (other >= 1 && other <= MAX && index < other) {
          const otherProof = inclusionProof(index, other, store.read);
          const same = otherProof.length === proof.length && otherProof.every((h, i) => proof[i]?.equals(h));
          const err2 = rejection(() => verifyInclusion(leaf, index, other, proof, rootOf(other)));
          expect(err2 === undefined).toBe(same);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects added, removed or reordered proof hashes", () => {
    fc.assert(
      fc.property(sizeAndIndex, fc.nat(), ([size, index], pos) => {
        const leaf = leafHash(entries[index] as Buffer);
        const proof = inclusionProof(index, size, store.read);
        const root = rootOf(size);
        const at = pos % (proof.length + 1);
        expectRejected(() => verifyInclusion(leaf, index, size, [...proof.slice(0, at), root, ...proof.slice(at)], root));
        if (proof.length > 0) {
          expectRejected(() => verifyInclusion(leaf, index, size, proof.filter((_, i) => i !== at % proof.length), root));
        }
        if (proof.length > 1 && !(proof[0] as Hash).equals(proof[1] as Hash)) {
          expectRejected(() => verifyInclusion(leaf, index, size, [proof[1] as Hash, proof[0] as Hash, ...proof.slice(2)], root));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("consistency verification properties", () => {
  it("accepts every generated proof", () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        verifyConsistency(oldSize, newSize, rootOf(oldSize), rootOf(newSize), consistencyProof(oldSize, newSize, store.read));
      }),
      { numRuns: 200 },
    );
  });

  it("accepts the empty tree as a prefix of every tree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX }), (size) => {
        verifyConsistency(0, size, EMPTY_ROOT, size === 0 ? EMPTY_ROOT : rootOf(size), []);
      }),
    );
  });

  it("rejects any single-bit change of the proof or either root", () => {
    fc.assert(
      fc.property(twoSizes, fc.nat(), fc.nat(255), ([oldSize, newSize], which, bit) => {
        const proof = consistencyProof(oldSize, newSize, store.read);
        const [oldRoot, newRoot] = [rootOf(oldSize), rootOf(newSize)];
        const target = which % (proof.length + 2);
        if (target < proof.length) {
          const damaged = proof.map((h, i) => (i === target ? flipBit(h, bit) : h));
          expectRejected(() => verifyConsistency(oldSize, newSize, oldRoot, newRoot, damaged), ["PROOF_INVALID"]);
        } else if (target === proof.length) {
          expectRejected(() => verifyConsistency(oldSize, newSize, flipBit(oldRoot, bit), newRoot, proof), ["PROOF_INVALID"]);
        } else {
          expectRejected(() => verifyConsistency(oldSize, newSize, oldRoot, flipBit(newRoot, bit), proof), ["PROOF_INVALID"]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects other sizes with their real roots unless the proofs coincide", () => {
    fc.assert(
      fc.property(twoSizes, twoSizes, ([oldSize, newSize], [otherOld, otherNew]) => {
        fc.pre(otherOld !== oldSize || otherNew !== newSize);
        const proof = consistencyProof(oldSize, newSize, store.read);
        const otherProof = consistencyProof(otherOld, otherNew, store.read);
        const same = proof.length === otherProof.length && proof.every((h, i) => h.equals(otherProof[i] as Hash));
        const err = rejection(() => verifyConsistency(otherOld, otherNew, rootOf(otherOld), rootOf(otherNew), proof));
        expect(err === undefined).toBe(same);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects the Go probes: size1 ± 1, size1 ^ 2, size2 * 2, size2 / 2, swapped roots", () => {
    fc.assert(
      fc.property(twoSizes, ([oldSize, newSize]) => {
        fc.pre(oldSize < newSize);
        const proof = consistencyProof(oldSize, newSize, store.read);
        const [oldRoot, newRoot] = [rootOf(oldSize), rootOf(newSize)];
        for (const [m, n] of [
          [oldSize - 1, newSize],
          [oldSize + 1, newSize],
          [oldSize ^ 2, newSize],
          [oldSize, newSize * 2],
          [oldSize, Math.floor(newSize / 2)],
        ] as const) {
          expectRejected(() => verifyConsistency(m, n, oldRoot, newRoot, proof));
        }
        expectRejected(() => verifyConsistency(oldSize, newSize, newRoot, oldRoot, proof));
        expectRejected(() => verifyConsistency(oldSize, newSize, oldRoot, newRoot, []));
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * A virtual tree of any size up to 2^53-1: stored hashes are pseudo-random per address, except along
 * the path of one leaf, where each node is the hash of its children, so that every proof and root
 * involving that leaf's ancestors is internally consistent.
 */
function virtualTree(pathLeaf: number, leaf: Hash): ReadHashes {
  const random = ({ level, index }: HashAddress): Hash =>
    createHash("sha256").update(`${level}/${index}`).digest();
  const stored = (address: HashAddress): Hash => {
    const { level, index } = address;
    if (index !== Math.floor(pathLeaf / 2 ** level)) return random(address);
    if (level === 0) return leaf;
    return nodeHash(stored({ level: level - 1, index: 2 * index }), stored({ level: level - 1, index: 2 * index + 1 }));
  };
  return (addresses) => addresses.map(stored);
}

describe("verification near 2^53", () => {
  const MAX_SIZE = Number.MAX_SAFE_INTEGER;
  const bigSize = fc.integer({ min: 2 ** 40, max: MAX_SIZE });

  it("verifies inclusion in trees of up to 2^53-1 leaves", () => {
    fc.assert(
      fc.property(bigSize.chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }))), ([size, index]) => {
        const leaf = leafHash(Buffer.from(`leaf ${index}`));
        const read = virtualTree(index, leaf);
        const proof = inclusionProof(index, size, read);
        verifyInclusion(leaf, index, size, proof, treeHash(size, read));
        expectRejected(() => verifyInclusion(leaf, index, size, proof, treeHash(size, virtualTree(index, EMPTY_ROOT))));
      }),
      { numRuns: 100 },
    );
    for (const [index, size] of [[MAX_SIZE - 1, MAX_SIZE], [0, MAX_SIZE], [2 ** 52, MAX_SIZE], [2 ** 52 - 1, 2 ** 52]]) {
      const leaf = leafHash(Buffer.from("edge"));
      const read = virtualTree(index as number, leaf);
      verifyInclusion(leaf, index as number, size as number, inclusionProof(index as number, size as number, read), treeHash(size as number, read));
    }
  });

  it("verifies consistency between trees of up to 2^53-1 leaves", () => {
    fc.assert(
      fc.property(bigSize.chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))), ([oldSize, newSize]) => {
        const read = virtualTree(oldSize - 1, Buffer.alloc(32, 7));
        const proof = consistencyProof(oldSize, newSize, read);
        verifyConsistency(oldSize, newSize, treeHash(oldSize, read), treeHash(newSize, read), proof);
        if (oldSize < newSize) {
          expectRejected(() => verifyConsistency(oldSize, newSize, treeHash(oldSize, read), treeHash(newSize - 1, read), proof));
        }
      }),
      { numRuns: 100 },
    );
    for (const [oldSize, newSize] of [[1, MAX_SIZE], [MAX_SIZE - 1, MAX_SIZE], [2 ** 52, MAX_SIZE], [2 ** 52 + 1, MAX_SIZE]]) {
      const read = virtualTree((oldSize as number) - 1, Buffer.alloc(32, 9));
      const proof = consistencyProof(oldSize as number, newSize as number, read);
      verifyConsistency(oldSize as number, newSize as number, treeHash(oldSize as number, read), treeHash(newSize as number, read), proof);
    }
  });

  it("rejects sizes beyond 2^53-1 and non-integers", () => {
    const h = Buffer.alloc(32);
    for (const bad of [2 ** 53, -1, 0.5, Number.NaN, Number("18446744073709551615")]) {
      expectRejected(() => verifyInclusion(h, bad, 10, [], h), ["INDEX_OUT_OF_RANGE"]);
      expectRejected(() => verifyInclusion(h, 0, bad, [], h), ["INDEX_OUT_OF_RANGE"]);
      expectRejected(() => verifyConsistency(bad, 10, h, h, []), ["INDEX_OUT_OF_RANGE"]);
      expectRejected(() => verifyConsistency(1, bad, h, h, []), ["INDEX_OUT_OF_RANGE"]);
    }
  });
});

describe("failure details", () => {
  it("reports expected and calculated roots in base64", () => {
    const proof = inclusionProof(3, 10, store.read);
    const wrongRoot = Buffer.alloc(32, 1);
    const err = rejection(() => verifyInclusion(leafHash(entries[3] as Buffer), 3, 10, proof, wrongRoot));
    expect(err?.code).toBe("PROOF_INVALID");
    expect(err?.details.expectedRoot).toBe(wrongRoot.toString("base64"));
    expect(err?.details.calculatedRoot).toBe(rootOf(10).toString("base64"));
  });
});
