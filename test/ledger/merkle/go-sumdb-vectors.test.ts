// Interoperability with Go's golang.org/x/mod/sumdb/{note,tlog}: keys, roots, signed checkpoints and proof texts byte for byte.
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import { openCheckpoint, parseCheckpoint, signCheckpoint, type Checkpoint } from "../../../src/ledger/checkpoint.js";
import { CompactRange, consistencyProof, inclusionProof, leafHash, treeHash } from "../../../src/ledger/merkle/index.js";
import { keyPairFromSeed, signerFromSkey, verifierFromVkey } from "../../../src/ledger/note.js";
import {
  formatConsistencyProof,
  formatInclusionProof,
  parseConsistencyProof,
  parseInclusionProof,
  verifyConsistencyProofText,
  verifyInclusionProofText,
} from "../../../src/ledger/proof-text.js";
import { MemoryHashStore } from "./memory-store.js";
import { b64, goSumdb as go, hex } from "./vectors.js";

const entries = go.entries.map((entry) => Buffer.from(entry, "utf8"));
const store = MemoryHashStore.fromEntries(entries);
const verifier = verifierFromVkey(go.vkey);
const signer = signerFromSkey(go.skey);
const otherVerifier = verifierFromVkey(keyPairFromSeed(go.origin, Buffer.alloc(32, 1)).vkey);

const signedCheckpoint = (size: number): string => {
  const found = go.checkpoints.find((c) => c.size === size);
  if (found === undefined) throw new Error(`no vector checkpoint of size ${size}`);
  return found.checkpoint;
};
const checkpointOf = (size: number): Checkpoint => parseCheckpoint(signedCheckpoint(size).split("\n\n")[0] + "\n");

function expectRejected(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, "expected an ArbiterError").toBeInstanceOf(ArbiterError);
}

/** The base64 hash lines of a proof text, with their line numbers. */
function hashLines(text: string): { line: number; hash: Buffer }[] {
  const lines = text.split("\n");
  const out: { line: number; hash: Buffer }[] = [];
  for (let i = 1; i < lines.length && lines[i] !== ""; i++) {
    if (/^(index|old|extra) /.test(lines[i] as string)) continue;
    out.push({ line: i, hash: b64(lines[i] as string) });
  }
  return out;
}

function replaceLine(text: string, line: number, replacement: string[]): string {
  const lines = text.split("\n");
  lines.splice(line, 1, ...replacement);
  return lines.join("\n");
}

/** Damaged copies of a proof text, each labelled. */
function damaged(text: string, otherCheckpoints: string[]): [string, string][] {
  const out: [string, string][] = [];
  const hashes = hashLines(text);
  const firstBlank = text.indexOf("\n\n");
  for (const { line, hash } of hashes) {
    for (const bit of [0, 7, 100, 255]) {
      const flipped = Buffer.from(hash);
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
      out.push([`bit ${bit} of hash line ${line}`, replaceLine(text, line, [flipped.toString("base64")])]);
    }
    out.push([`dropped hash line ${line}`, replaceLine(text, line, [])]);
  }
  const extra = Buffer.alloc(32, 0xab).toString("base64");
  out.push(["added hash line at the end", text.slice(0, firstBlank + 1) + extra + text.slice(firstBlank)]);
  if (hashes.length > 0) {
    const first = (hashes[0] as { line: number }).line;
    out.push(["added hash line at the start", replaceLine(text, first, [extra, text.split("\n")[first] as string])]);
  }
  const checkpoint = text.slice(firstBlank + 2);
  for (const other of otherCheckpoints) out.push(["another size's checkpoint", text.slice(0, firstBlank + 2) + other]);
  // Flip one bit inside the signature bytes (after the 4-byte key id).
  const sigLine = checkpoint.split("\n").find((l) => l.startsWith("\u2014 ")) as string;
  const sig = b64(sigLine.split(" ")[2] as string);
  for (const byte of [4, 30, 67]) {
    const bad = Buffer.from(sig);
    bad[byte] = (bad[byte] as number) ^ 1;
    out.push([`signature byte ${byte}`, text.replace(sigLine, `${sigLine.split(" ").slice(0, 2).join(" ")} ${bad.toString("base64")}`)]);
  }
  out.push(["checkpoint origin changed", text.replace(`\n${go.origin}\n`, `\n${go.origin}x\n`)]);
  for (const cut of [1, 10, firstBlank, firstBlank + 1, firstBlank + 2, text.length - 1, text.length - 30]) {
    out.push([`truncated to ${cut}`, text.slice(0, cut)]);
  }
  return out;
}

describe("Go x/mod sumdb vectors: keys", () => {
  it("derives the same skey and vkey from the seed", () => {
    expect(keyPairFromSeed(go.origin, hex(go.signer_seed_hex))).toEqual({ skey: go.skey, vkey: go.vkey });
    expect(signer.name).toBe(go.origin);
    expect(signer.keyId).toBe(verifier.keyId);
    expect(verifier.keyId.toString(16).padStart(8, "0")).toBe(go.vkey.split("+")[1]);
  });
});

describe("Go x/mod sumdb vectors: checkpoints", () => {
  it.each(go.checkpoints.map((c) => [c.size, c] as const))("size %i: root and signed checkpoint", (size, c) => {
    const range = CompactRange.empty();
    for (const entry of entries.slice(0, size)) range.append(leafHash(entry));
    expect(range.root().toString("base64")).toBe(c.root);
    expect(treeHash(size, store.read).toString("base64")).toBe(c.root);
    const cp: Checkpoint = { origin: go.origin, size, root: b64(c.root), extensions: [] };
    expect(signCheckpoint(cp, signer)).toBe(c.checkpoint);
    expect(openCheckpoint(c.checkpoint, verifier)).toEqual(cp);
  });

  it("rejects checkpoints under a wrong key or with a changed byte", () => {
    for (const c of go.checkpoints) {
      expectRejected(() => openCheckpoint(c.checkpoint, otherVerifier));
      expectRejected(() => openCheckpoint(c.checkpoint.replace(`\n${c.size}\n`, `\n${c.size + 1}\n`), verifier));
      expectRejected(() => openCheckpoint(c.checkpoint.slice(0, -2), verifier));
    }
  });
});

describe("Go x/mod sumdb vectors: inclusion proofs", () => {
  it.each(go.inclusion.map((v) => [v.index, v.size, v] as const))("index %i in size %i: byte for byte, verified", (index, size, v) => {
    const proof = inclusionProof(index, size, store.read);
    expect(formatInclusionProof(index, proof, signedCheckpoint(size))).toBe(v.proof);
    const parsed = parseInclusionProof(v.proof);
    expect(parsed.index).toBe(index);
    expect(parsed.proof.map((h) => h.toString("hex"))).toEqual(proof.map((h) => h.toString("hex")));
    expect(parsed.checkpoint).toBe(signedCheckpoint(size));
    const result = verifyInclusionProofText(v.proof, entries[index] as Buffer, verifier);
    expect(result).toEqual({ ...checkpointOf(size), index });
  });

  it.each(go.inclusion.map((v) => [v.index, v.size, v] as const))("index %i in size %i: damaged copies are rejected", (index, size, v) => {
    const entry = entries[index] as Buffer;
    const others = go.checkpoints.filter((c) => c.size !== size).map((c) => c.checkpoint);
    for (const [label, text] of damaged(v.proof, others)) {
      expect(() => verifyInclusionProofText(text, entry, verifier), label).toThrow(ArbiterError);
    }
    for (const other of [index + 1, index - 1, index ^ 1, index + size]) {
      if (other < 0 || other === index) continue;
      const text = v.proof.replace(`\nindex ${index}\n`, `\nindex ${other}\n`);
      expectRejected(() => verifyInclusionProofText(text, entry, verifier));
    }
    expectRejected(() => verifyInclusionProofText(v.proof, entries[(index + 1) % entries.length] as Buffer, verifier));
    expectRejected(() => verifyInclusionProofText(v.proof, Buffer.concat([entry, Buffer.from(" ")]), verifier));
    expectRejected(() => verifyInclusionProofText(v.proof, entry, otherVerifier));
  });
});

describe("Go x/mod sumdb vectors: consistency proofs", () => {
  it.each(go.consistency.map((v) => [v.old, v.size, v] as const))("%i to %i: byte for byte, verified", (old, size, v) => {
    const proof = consistencyProof(old, size, store.read);
    expect(formatConsistencyProof(old, proof, signedCheckpoint(size))).toBe(v.proof);
    const parsed = parseConsistencyProof(v.proof);
    expect(parsed.oldSize).toBe(old);
    expect(parsed.proof.map((h) => h.toString("hex"))).toEqual(proof.map((h) => h.toString("hex")));
    expect(verifyConsistencyProofText(v.proof, checkpointOf(old), verifier)).toEqual(checkpointOf(size));
  });

  it.each(go.consistency.map((v) => [v.old, v.size, v] as const))("%i to %i: damaged copies are rejected", (old, size, v) => {
    const oldCheckpoint = checkpointOf(old);
    const others = go.checkpoints.filter((c) => c.size !== size).map((c) => c.checkpoint);
    for (const [label, text] of damaged(v.proof, others)) {
      expect(() => verifyConsistencyProofText(text, oldCheckpoint, verifier), label).toThrow(ArbiterError);
    }
    for (const other of [old + 1, old - 1, old ^ 2]) {
      if (other < 0 || other === old) continue;
      const text = v.proof.replace(/^old \d+\n/, `old ${other}\n`);
      expectRejected(() => verifyConsistencyProofText(text, oldCheckpoint, verifier));
    }
    // The right proof against the wrong trusted old checkpoint.
    const wrongOld = go.checkpoints.find((c) => c.size !== old && c.size <= size);
    if (wrongOld !== undefined) {
      expectRejected(() => verifyConsistencyProofText(v.proof, checkpointOf(wrongOld.size), verifier));
    }
    expectRejected(() => verifyConsistencyProofText(v.proof, { ...oldCheckpoint, root: Buffer.alloc(32) }, verifier));
    expectRejected(() => verifyConsistencyProofText(v.proof, { ...oldCheckpoint, origin: "other.example/log" }, verifier));
    expectRejected(() => verifyConsistencyProofText(v.proof, oldCheckpoint, otherVerifier));
  });
});
