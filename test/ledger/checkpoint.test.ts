// C2SP tlog-checkpoint: strict formatting and parsing, signing and opening, origin checks, fuzzing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../src/record/errors.js";
import {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  parseDecimalCount,
  signCheckpoint,
  type Checkpoint,
} from "../../src/ledger/checkpoint.js";
import { keyPairFromSeed, signerFromSkey, signNote, verifierFromVkey } from "../../src/ledger/note.js";
import { codeOf } from "../support/errors.js";

const ORIGIN = "example.com/log";
const keys = keyPairFromSeed(ORIGIN, Buffer.alloc(32, 3));
const signer = signerFromSkey(keys.skey);
const verifier = verifierFromVkey(keys.vkey);
const root = Buffer.alloc(32, 0x5a);
const cp: Checkpoint = { origin: ORIGIN, size: 42, root, extensions: [] };
const ROOT64 = root.toString("base64");

describe("formatCheckpoint / parseCheckpoint", () => {
  it("formats origin, size, root and extension lines", () => {
    expect(formatCheckpoint(cp)).toBe(`${ORIGIN}\n42\n${ROOT64}\n`);
    expect(formatCheckpoint({ ...cp, size: 0, extensions: ["ext one", "\u2014 two"] })).toBe(
      `${ORIGIN}\n0\n${ROOT64}\next one\n\u2014 two\n`,
    );
  });

  it("round-trips", () => {
    const line = fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }).filter((s) => [...s].every((c) => c.charCodeAt(0) >= 0x20));
    fc.assert(
      fc.property(
        line,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(line, { maxLength: 3 }),
        (origin, size, rootBytes, extensions) => {
          const value: Checkpoint = { origin, size, root: Buffer.from(rootBytes), extensions };
          const text = formatCheckpoint(value);
          expect(parseCheckpoint(text)).toEqual(value);
          expect(formatCheckpoint(parseCheckpoint(text))).toBe(text);
        },
      ),
    );
  });

  it("rejects values it cannot format", () => {
    expect(codeOf(() => formatCheckpoint({ ...cp, origin: "" }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, origin: "a\nb" }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, origin: "a\tb" }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, root: Buffer.alloc(31) }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, extensions: [""] }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, extensions: ["a\nb"] }))).toBe("NOTE_INVALID");
    expect(codeOf(() => formatCheckpoint({ ...cp, size: -1 }))).toBe("INDEX_OUT_OF_RANGE");
    expect(codeOf(() => formatCheckpoint({ ...cp, size: 2 ** 53 }))).toBe("INDEX_OUT_OF_RANGE");
  });

  it.each([
    ["missing final newline", `${ORIGIN}\n42\n${ROOT64}`],
    ["only two lines", `${ORIGIN}\n42\n`],
    ["empty origin", `\n42\n${ROOT64}\n`],
    ["leading zero", `${ORIGIN}\n042\n${ROOT64}\n`],
    ["plus sign", `${ORIGIN}\n+42\n${ROOT64}\n`],
    ["negative", `${ORIGIN}\n-1\n${ROOT64}\n`],
    ["decimal point", `${ORIGIN}\n42.0\n${ROOT64}\n`],
    ["exponent", `${ORIGIN}\n4e1\n${ROOT64}\n`],
    ["space", `${ORIGIN}\n 42\n${ROOT64}\n`],
    ["hex", `${ORIGIN}\n0x2a\n${ROOT64}\n`],
    ["empty size", `${ORIGIN}\n\n${ROOT64}\n`],
    ["short root", `${ORIGIN}\n42\n${Buffer.alloc(31).toString("base64")}\n`],
    ["long root", `${ORIGIN}\n42\n${Buffer.alloc(33).toString("base64")}\n`],
    ["url-safe base64", `${ORIGIN}\n42\n${Buffer.alloc(32, 0xff).toString("base64url")}=\n`],
    ["unpadded base64", `${ORIGIN}\n42\n${ROOT64.replace("=", "")}\n`],
    ["non-canonical trailing bits", `${ORIGIN}\n42\n${ROOT64.slice(0, 42)}b=\n`],
    ["empty extension line", `${ORIGIN}\n42\n${ROOT64}\n\next\n`],
    ["trailing blank line", `${ORIGIN}\n42\n${ROOT64}\n\n`],
    ["carriage return", `${ORIGIN}\r\n42\n${ROOT64}\n`],
  ])("rejects %s", (_label, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe("NOTE_INVALID");
  });

  it("rejects sizes above 2^53-1 as INDEX_OUT_OF_RANGE", () => {
    expect(parseCheckpoint(`${ORIGIN}\n9007199254740991\n${ROOT64}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
    expect(codeOf(() => parseCheckpoint(`${ORIGIN}\n9007199254740992\n${ROOT64}\n`))).toBe("INDEX_OUT_OF_RANGE");
    expect(codeOf(() => parseCheckpoint(`${ORIGIN}\n${"9".repeat(400)}\n${ROOT64}\n`))).toBe("INDEX_OUT_OF_RANGE");
    expect(codeOf(() => parseDecimalCount("18446744073709551615", "index", "PROOF_INVALID"))).toBe("INDEX_OUT_OF_RANGE");
    expect(codeOf(() => parseDecimalCount("01", "index", "PROOF_INVALID"))).toBe("PROOF_INVALID");
    expect(parseDecimalCount("0", "index", "PROOF_INVALID")).toBe(0);
  });
});

describe("signCheckpoint / openCheckpoint", () => {
  it("signs and opens", () => {
    const signed = signCheckpoint(cp, signer);
    expect(signed.startsWith(`${formatCheckpoint(cp)}\n\u2014 ${ORIGIN} `)).toBe(true);
    expect(openCheckpoint(signed, verifier)).toEqual(cp);
  });

  it("ignores cosignatures from unknown keys (e.g. witnesses)", () => {
    const witness = signerFromSkey(keyPairFromSeed("witness.example/w1", Buffer.alloc(32, 4)).skey);
    const signed = signNote(formatCheckpoint(cp), witness, signer);
    expect(openCheckpoint(signed, verifier)).toEqual(cp);
    expect(codeOf(() => openCheckpoint(signNote(formatCheckpoint(cp), witness), verifier))).toBe("NOTE_INVALID");
  });

  it("requires the origin to match the verifier's name unless told otherwise", () => {
    const other = { ...cp, origin: "other.example/log" };
    const signed = signCheckpoint(other, signer);
    expect(codeOf(() => openCheckpoint(signed, verifier))).toBe("NOTE_INVALID");
    expect(openCheckpoint(signed, verifier, "other.example/log")).toEqual(other);
    expect(codeOf(() => openCheckpoint(signCheckpoint(cp, signer), verifier, "other.example/log"))).toBe("NOTE_INVALID");
  });

  it("rejects a signed note whose text is not a checkpoint", () => {
    expect(codeOf(() => openCheckpoint(signNote("just text\n", signer), verifier))).toBe("NOTE_INVALID");
    expect(codeOf(() => openCheckpoint(signNote(`${ORIGIN}\n01\n${ROOT64}\n`, signer), verifier))).toBe("NOTE_INVALID");
  });

  it("rejects any single-character change of a signed checkpoint", () => {
    const signed = signCheckpoint(cp, signer);
    fc.assert(
      fc.property(fc.nat(signed.length - 1), fc.constantFrom("0", "A", "\n", "+", " "), (at, ch) => {
        fc.pre(signed[at] !== ch);
        const changed = signed.slice(0, at) + ch + signed.slice(at + 1);
        expect(codeOf(() => openCheckpoint(changed, verifier))).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  it("fuzz: parseCheckpoint and openCheckpoint only throw ArbiterError", () => {
    const signed = signCheckpoint(cp, signer);
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.tuple(fc.nat(signed.length), fc.nat(5), fc.string({ unit: "binary", maxLength: 6 })).map(
        ([at, del, ins]) => signed.slice(0, at) + ins + signed.slice(at + del),
      ),
    );
    fc.assert(
      fc.property(text, (t) => {
        for (const fn of [() => parseCheckpoint(t), () => openCheckpoint(t, verifier)]) {
          try {
            fn();
          } catch (err) {
            if (!(err instanceof ArbiterError)) throw err;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
