// Proof texts: c2sp.org/tlog-proof@v1 and "old N" formats, strict parsing, whole-text verification and fuzzing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../src/record/errors.js";
import { signCheckpoint, type Checkpoint } from "../../src/ledger/checkpoint.js";
import { EMPTY_ROOT, consistencyProof, inclusionProof, treeHash, type Hash } from "../../src/ledger/merkle/index.js";
import { keyPairFromSeed, signerFromSkey, verifierFromVkey } from "../../src/ledger/note.js";
import {
  formatConsistencyProof,
  formatInclusionProof,
  parseConsistencyProof,
  parseInclusionProof,
  verifyConsistencyProofText,
  verifyInclusionProofText,
} from "../../src/ledger/proof-text.js";
import { MemoryHashStore, testEntries } from "./merkle/memory-store.js";
import { codeOf } from "../support/errors.js";

const ORIGIN = "example.com/log";
const keys = keyPairFromSeed(ORIGIN, Buffer.alloc(32, 5));
const signer = signerFromSkey(keys.skey);
const verifier = verifierFromVkey(keys.vkey);
const entries = testEntries(300);
const store = MemoryHashStore.fromEntries(entries);
const checkpointAt = (size: number): Checkpoint => ({ origin: ORIGIN, size, root: treeHash(size, store.read), extensions: [] });
const signedAt = (size: number): string => signCheckpoint(checkpointAt(size), signer);

const h = (byte: number): Hash => Buffer.alloc(32, byte);
const line = (hash: Hash): string => hash.toString("base64");
const CP = signedAt(7);

describe("formatInclusionProof / parseInclusionProof", () => {
  it("writes the tlog-proof@v1 layout", () => {
    expect(formatInclusionProof(3, [h(1), h(2)], CP)).toBe(
      `c2sp.org/tlog-proof@v1\nindex 3\n${line(h(1))}\n${line(h(2))}\n\n${CP}`,
    );
    expect(formatInclusionProof(0, [], CP)).toBe(`c2sp.org/tlog-proof@v1\nindex 0\n\n${CP}`);
    expect(formatInclusionProof(0, [], CP, Buffer.from("hi"))).toBe(`c2sp.org/tlog-proof@v1\nextra aGk=\nindex 0\n\n${CP}`);
  });

  it("round-trips, with and without extra data", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 64 }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }),
        (index, hashes, extra) => {
          const proof = hashes.map((b) => Buffer.from(b));
          const text = formatInclusionProof(index, proof, CP, extra);
          const parsed = parseInclusionProof(text);
          expect(parsed.index).toBe(index);
          expect(parsed.proof).toEqual(proof);
          expect(parsed.checkpoint).toBe(CP);
          expect(parsed.extra).toEqual(extra === undefined ? undefined : Buffer.from(extra));
          expect(formatInclusionProof(parsed.index, parsed.proof, parsed.checkpoint, parsed.extra)).toBe(text);
        },
      ),
    );
  });

  it.each([
    ["wrong header", `c2sp.org/tlog-proof@v2\nindex 0\n\n${CP}`],
    ["no header", `index 0\n\n${CP}`],
    ["CRLF", `c2sp.org/tlog-proof@v1\r\nindex 0\r\n\r\n${CP}`],
    ["leading zero index", `c2sp.org/tlog-proof@v1\nindex 01\n\n${CP}`],
    ["negative index", `c2sp.org/tlog-proof@v1\nindex -1\n\n${CP}`],
    ["index with trailing space", `c2sp.org/tlog-proof@v1\nindex 1 \n\n${CP}`],
    ["index with two spaces", `c2sp.org/tlog-proof@v1\nindex  1\n\n${CP}`],
    ["no index line", `c2sp.org/tlog-proof@v1\n${line(h(1))}\n\n${CP}`],
    ["extra after index", `c2sp.org/tlog-proof@v1\nindex 0\nextra aGk=\n\n${CP}`],
    ["bad extra", `c2sp.org/tlog-proof@v1\nextra aGk\nindex 0\n\n${CP}`],
    ["short hash", `c2sp.org/tlog-proof@v1\nindex 0\n${Buffer.alloc(31).toString("base64")}\n\n${CP}`],
    ["hex hash", `c2sp.org/tlog-proof@v1\nindex 0\n${h(1).toString("hex")}\n\n${CP}`],
    ["non-canonical base64", `c2sp.org/tlog-proof@v1\nindex 0\n${line(h(0)).slice(0, 42)}B=\n\n${CP}`],
    ["no blank line", `c2sp.org/tlog-proof@v1\nindex 0\n${line(h(1))}\n`],
    ["no checkpoint", `c2sp.org/tlog-proof@v1\nindex 0\n${line(h(1))}\n\n`],
    ["truncated header", "c2sp.org/tlog-proof@v1"],
    ["65 hashes", `c2sp.org/tlog-proof@v1\nindex 0\n${`${line(h(1))}\n`.repeat(65)}\n${CP}`],
    ["empty", ""],
  ])("rejects %s", (_label, text) => {
    expect(codeOf(() => parseInclusionProof(text))).toBe("PROOF_INVALID");
  });

  it("rejects indexes above 2^53-1 as INDEX_OUT_OF_RANGE", () => {
    expect(codeOf(() => parseInclusionProof(`c2sp.org/tlog-proof@v1\nindex 9007199254740992\n\n${CP}`))).toBe("INDEX_OUT_OF_RANGE");
  });

  it("refuses to format bad input", () => {
    expect(codeOf(() => formatInclusionProof(-1, [], CP))).toBe("INDEX_OUT_OF_RANGE");
    expect(codeOf(() => formatInclusionProof(0, [Buffer.alloc(31)], CP))).toBe("PROOF_INVALID");
    expect(codeOf(() => formatInclusionProof(0, [], ""))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatInclusionProof(0, [], "\nx"))).toBe("NOTE_INVALID");
  });
});

describe("formatConsistencyProof / parseConsistencyProof", () => {
  it("writes and reads the old N layout", () => {
    const text = formatConsistencyProof(5, [h(1), h(2)], CP);
    expect(text).toBe(`old 5\n${line(h(1))}\n${line(h(2))}\n\n${CP}`);
    expect(parseConsistencyProof(text)).toEqual({ oldSize: 5, proof: [h(1), h(2)], checkpoint: CP });
    expect(parseConsistencyProof(`old 7\n\n${CP}`)).toEqual({ oldSize: 7, proof: [], checkpoint: CP });
  });

  it.each([
    ["missing old line", `${line(h(1))}\n\n${CP}`],
    ["leading zero", `old 05\n\n${CP}`],
    ["OLD", `OLD 5\n\n${CP}`],
    ["no blank line", `old 5\n${line(h(1))}\n`],
    ["no checkpoint", `old 5\n\n`],
    ["bad hash", `old 5\nnot base64\n\n${CP}`],
  ])("rejects %s", (_label, text) => {
    expect(codeOf(() => parseConsistencyProof(text))).toBe("PROOF_INVALID");
  });
});

describe("verifyInclusionProofText", () => {
  it("accepts a proof for every entry of a tree and returns the checkpoint and index", () => {
    const size = 37;
    const signed = signedAt(size);
    for (let index = 0; index < size; index++) {
      const text = formatInclusionProof(index, inclusionProof(index, size, store.read), signed);
      expect(verifyInclusionProofText(text, entries[index] as Buffer, verifier)).toEqual({ ...checkpointAt(size), index });
    }
  });

  it("rejects an index outside the checkpoint's tree", () => {
    const text = formatInclusionProof(7, [], signedAt(7));
    expect(codeOf(() => verifyInclusionProofText(text, entries[7] as Buffer, verifier))).toBe("INDEX_OUT_OF_RANGE");
  });

  it("checks the origin against the verifier name, or expectedOrigin when given", () => {
    const otherCheckpoint = signCheckpoint({ ...checkpointAt(4), origin: "mirror.example/log" }, signer);
    const text = formatInclusionProof(1, inclusionProof(1, 4, store.read), otherCheckpoint);
    expect(codeOf(() => verifyInclusionProofText(text, entries[1] as Buffer, verifier))).toBe("NOTE_INVALID");
    expect(verifyInclusionProofText(text, entries[1] as Buffer, verifier, "mirror.example/log").size).toBe(4);
  });

  it("ignores unauthenticated extra data", () => {
    const text = formatInclusionProof(2, inclusionProof(2, 9, store.read), signedAt(9), Buffer.from("context"));
    expect(verifyInclusionProofText(text, entries[2] as Buffer, verifier).index).toBe(2);
  });
});

describe("verifyConsistencyProofText", () => {
  it("accepts proofs between tree sizes and returns the new checkpoint", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))), ([m, n]) => {
        const text = formatConsistencyProof(m, consistencyProof(m, n, store.read), signedAt(n));
        expect(verifyConsistencyProofText(text, checkpointAt(m), verifier)).toEqual(checkpointAt(n));
      }),
      { numRuns: 50 },
    );
  });

  it("accepts growth from the empty tree", () => {
    const text = formatConsistencyProof(0, [], signedAt(12));
    const empty: Checkpoint = { origin: ORIGIN, size: 0, root: Buffer.from(EMPTY_ROOT), extensions: [] };
    expect(verifyConsistencyProofText(text, empty, verifier).size).toBe(12);
    expect(codeOf(() => verifyConsistencyProofText(text, { ...empty, root: h(1) }, verifier))).toBe("PROOF_INVALID");
  });

  it("rejects a proof from another old size, another log or a smaller new tree", () => {
    const text = formatConsistencyProof(5, consistencyProof(5, 9, store.read), signedAt(9));
    expect(codeOf(() => verifyConsistencyProofText(text, checkpointAt(6), verifier))).toBe("PROOF_INVALID");
    expect(codeOf(() => verifyConsistencyProofText(text, { ...checkpointAt(5), origin: "other" }, verifier))).toBe("PROOF_INVALID");
    const backwards = formatConsistencyProof(9, [], signedAt(5));
    expect(codeOf(() => verifyConsistencyProofText(backwards, checkpointAt(9), verifier))).toBe("INDEX_OUT_OF_RANGE");
  });
});

describe("fuzzing: only ArbiterError escapes", () => {
  const inclusionText = formatInclusionProof(3, inclusionProof(3, 10, store.read), signedAt(10));
  const consistencyText = formatConsistencyProof(4, consistencyProof(4, 10, store.read), signedAt(10));
  const piece = fc.oneof(
    fc.constantFrom("\n", "\n\n", "index ", "old ", "extra ", "c2sp.org/tlog-proof@v1\n", "=", "0", "9".repeat(20), "\u2014 "),
    fc.string({ unit: "binary", maxLength: 4 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  );
  const junk = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(""));
  const mutation = (valid: string): fc.Arbitrary<string> =>
    fc.array(fc.tuple(fc.nat(valid.length), fc.nat(8), junk), { minLength: 1, maxLength: 3 }).map((edits) => {
      let text = valid;
      for (const [pos, del, insert] of edits) {
        const at = pos % (text.length + 1);
        text = text.slice(0, at) + insert + text.slice(at + del);
      }
      return text;
    });

  function onlyArbiterErrors(fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ArbiterError)) throw err;
    }
  }

  it("parse and verify inclusion proof texts", () => {
    fc.assert(
      fc.property(fc.oneof(junk, mutation(inclusionText)), (text) => {
        onlyArbiterErrors(() => parseInclusionProof(text));
        onlyArbiterErrors(() => verifyInclusionProofText(text, entries[3] as Buffer, verifier));
      }),
      { numRuns: 2000 },
    );
  });

  it("parse and verify consistency proof texts", () => {
    fc.assert(
      fc.property(fc.oneof(junk, mutation(consistencyText)), (text) => {
        onlyArbiterErrors(() => parseConsistencyProof(text));
        onlyArbiterErrors(() => verifyConsistencyProofText(text, checkpointAt(4), verifier));
      }),
      { numRuns: 2000 },
    );
  });

  it("a mutated text that still verifies proves the same thing", () => {
    fc.assert(
      fc.property(mutation(inclusionText), (text) => {
        try {
          const result = verifyInclusionProofText(text, entries[3] as Buffer, verifier);
          expect(result).toEqual({ ...checkpointAt(10), index: 3 });
        } catch (err) {
          if (!(err instanceof ArbiterError)) throw err;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
