// Proof verification against transparency-dev/merkle's vectors: testdata JSON (including the broken ones) and verify_test.go cases.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import {
  EMPTY_ROOT,
  leafHash,
  rootFromInclusionProof,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from "../../../src/ledger/merkle/index.js";
import { b64, consistencyVectors, hex, inclusionVectors, rfc6962 } from "./vectors.js";

function expectRejected(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected an ArbiterError").toBeInstanceOf(ArbiterError);
  expect(["PROOF_INVALID", "INDEX_OUT_OF_RANGE"]).toContain((caught as ArbiterError).code);
}

describe("transparency-dev/merkle testdata vectors", () => {
  it.each(inclusionVectors.map((v) => [v.file, v] as const))("inclusion %s", (_file, v) => {
    const check = (): void =>
      verifyInclusion(b64(v.leafHash), Number(v.leafIdx), v.treeSize, (v.proof ?? []).map(b64), b64(v.root));
    if (v.wantErr) expectRejected(check);
    else expect(check).not.toThrow();
  });

  it.each(consistencyVectors.map((v) => [v.file, v] as const))("consistency %s", (_file, v) => {
    const check = (): void => verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
    if (v.wantErr) expectRejected(check);
    else expect(check).not.toThrow();
  });

  it("covers every damage kind", () => {
    expect(inclusionVectors).toHaveLength(82);
    expect(consistencyVectors).toHaveLength(84);
    expect(inclusionVectors.filter((v) => !v.wantErr)).toHaveLength(5);
    expect(consistencyVectors.filter((v) => !v.wantErr)).toHaveLength(5);
  });
});

describe("transparency-dev/merkle verify_test.go cases", () => {
  const leaves = rfc6962.leafInputsHex.map(hex);
  const someHash = hex("abacaba000000000000000000000000000000000000000000060061e00123456");
  const dontCare1 = createHash("sha256").update("don't care 1").digest();
  const dontCare2 = createHash("sha256").update("don't care 2").digest();

  it("verifies the known inclusion proofs and their roots", () => {
    for (const { leaf, size, proofHex } of rfc6962.inclusionProofs.filter((p) => p.leaf > 0)) {
      const leafH = leafHash(leaves[leaf - 1] as Buffer);
      const root = hex(rfc6962.verifyRootsHex[size - 1] as string);
      expect(rootFromInclusionProof(leafH, leaf - 1, size, proofHex.map(hex)).equals(root)).toBe(true);
      expect(() => verifyInclusion(leafH, leaf - 1, size, proofHex.map(hex), root)).not.toThrow();
    }
  });

  it("verifies a single-entry tree and rejects empty or wrong hashes", () => {
    const h = leafHash(Buffer.from("data"));
    expect(() => verifyInclusion(h, 0, 1, [], h)).not.toThrow();
    expectRejected(() => verifyInclusion(h, 0, 1, [], Buffer.alloc(0)));
    expectRejected(() => verifyInclusion(Buffer.alloc(0), 0, 1, [], h));
    expectRejected(() => verifyInclusion(Buffer.alloc(0), 0, 1, [], Buffer.alloc(0)));
  });

  it("rejects empty proofs for impossible index/size pairs", () => {
    for (const [index, size] of [[0, 0], [0, 1], [1, 0], [2, 1]] as const) {
      expectRejected(() => verifyInclusion(someHash, index, size, [], Buffer.alloc(0)));
      expectRejected(() => verifyInclusion(Buffer.alloc(0), index, size, [], EMPTY_ROOT));
      expectRejected(() => verifyInclusion(someHash, index, size, [], EMPTY_ROOT));
    }
  });

  it("handles the trivial consistency cases", () => {
    // x/mod and transparency-dev accept any old root for an empty old tree; Arbiter requires EMPTY_ROOT.
    const table: [number, number, Hash, Hash, Hash[], boolean][] = [
      [0, 0, dontCare1, dontCare2, [], true],
      [1, 1, dontCare1, dontCare2, [], true],
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [], false],
      [0, 1, EMPTY_ROOT, dontCare2, [], false],
      [0, 1, dontCare1, dontCare2, [], true],
      [1, 1, dontCare2, dontCare2, [], false],
      [1, 0, dontCare1, dontCare2, [], true],
      [2, 1, dontCare1, dontCare2, [], true],
      [1, 2, dontCare1, dontCare2, [], true],
      [0, 0, EMPTY_ROOT, dontCare2, [], true],
      [1, 1, EMPTY_ROOT, dontCare2, [], true],
      [0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], true],
      [0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], true],
      [1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], true],
    ];
    for (const [size1, size2, root1, root2, proof, wantErr] of table) {
      const check = (): void => verifyConsistency(size1, size2, root1, root2, proof);
      if (wantErr) expectRejected(check);
      else expect(check).not.toThrow();
    }
  });

  it("verifies the known consistency proofs", () => {
    for (const { size1, size2, proofHex } of rfc6962.consistencyProofs) {
      const root1 = hex(rfc6962.verifyRootsHex[size1 - 1] as string);
      const root2 = hex(rfc6962.verifyRootsHex[size2 - 1] as string);
      expect(() => verifyConsistency(size1, size2, root1, root2, proofHex.map(hex))).not.toThrow();
    }
  });
});
