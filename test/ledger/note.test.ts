// C2SP signed notes: x/mod's documented example, key formats and rules, strict parsing, and fuzzing for ArbiterError-only failures.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../src/record/errors.js";
import {
  generateKeyPair,
  isValidKeyName,
  keyPairFromSeed,
  MAX_NOTE_BYTES,
  openNote,
  signerFromSkey,
  signNote,
  verifierFromVkey,
  type NoteSigner,
  type NoteVerifier,
} from "../../src/ledger/note.js";
import { codeOf } from "../support/errors.js";

// The example in the package documentation of golang.org/x/mod/sumdb/note (note.go).
const PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_TEXT =
  "If you think cryptography is the answer to your problem,\n" + "then you don't know what your problem is.\n";
const PETER_SIG =
  "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG =
  "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";
// The example in c2sp.org/signed-note (no public key is published for it).
const QUASIMODO =
  "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u00e8 subito sera.\n\n" +
  "\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

const peter = verifierFromVkey(PETER_VKEY);
const own = keyPairFromSeed("example.com/log", Buffer.alloc(32, 7));
const ownSigner = signerFromSkey(own.skey);
const ownVerifier = verifierFromVkey(own.vkey);

function onlyArbiterErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof ArbiterError)) throw err;
  }
}

describe("x/mod sumdb/note documented example", () => {
  it("signs the example text byte for byte", () => {
    const signer = signerFromSkey(PETER_SKEY);
    expect(signer.name).toBe("PeterNeumann");
    expect(signer.keyId).toBe(0xc74f20a3);
    expect(signNote(PETER_TEXT, signer)).toBe(`${PETER_TEXT}\n${PETER_SIG}`);
  });

  it("opens the signed example and lists an unknown co-signer as unverified", () => {
    expect(openNote(`${PETER_TEXT}\n${PETER_SIG}`, [peter])).toEqual({
      text: PETER_TEXT,
      signatures: [{ name: "PeterNeumann", keyId: 0xc74f20a3, verified: true }],
    });
    const opened = openNote(`${PETER_TEXT}\n${PETER_SIG}${ENOCH_SIG}`, [peter]);
    expect(opened.signatures.map((s) => [s.name, s.verified])).toEqual([
      ["PeterNeumann", true],
      ["EnochRoot", false],
    ]);
  });

  it("parses the C2SP example, whose text contains an empty line, and rejects it for want of a known key", () => {
    let caught: ArbiterError | undefined;
    try {
      openNote(QUASIMODO, [peter]);
    } catch (err) {
      caught = err as ArbiterError;
    }
    expect(caught?.code).toBe("NOTE_INVALID");
    expect(String(caught?.details.signers)).toMatch(/^quasimodo\.example\/salvatore\+[0-9a-f]{8}$/);
  });
});

describe("keys", () => {
  it("formats skey and vkey as x/mod does, with the C2SP key id", () => {
    const seed = Buffer.alloc(32, 7);
    const { skey, vkey } = keyPairFromSeed("example.com/log", seed);
    const pub = Buffer.from(vkey.slice("example.com/log+12345678+".length), "base64");
    expect(pub).toHaveLength(33);
    expect(pub[0]).toBe(1);
    const id = createHash("sha256").update("example.com/log\n").update(pub).digest().subarray(0, 4).toString("hex");
    expect(vkey).toBe(`example.com/log+${id}+${pub.toString("base64")}`);
    expect(skey).toBe(`PRIVATE+KEY+example.com/log+${id}+${Buffer.concat([Buffer.from([1]), seed]).toString("base64")}`);
  });

  it("generates working random key pairs", () => {
    const a = generateKeyPair("a.example/log");
    const b = generateKeyPair("a.example/log");
    expect(a.skey).not.toBe(b.skey);
    const note = signNote("hello\n", signerFromSkey(a.skey));
    expect(openNote(note, [verifierFromVkey(a.vkey)]).text).toBe("hello\n");
    expect(codeOf(() => openNote(note, [verifierFromVkey(b.vkey)]))).toBe("NOTE_INVALID");
  });

  it("enforces key name rules", () => {
    for (const good of ["a", "example.com/log", "h\u00e9llo", "\u{1F600}"]) expect(isValidKeyName(good)).toBe(true);
    for (const bad of ["", "a+b", "a b", "a\tb", "a\nb", "a\u00a0b", "a\u0085b", "a\u2003b", "a\u2028b", "a\u3000b", "a\u0001b", "a\ud800b"]) {
      expect(isValidKeyName(bad), JSON.stringify(bad)).toBe(false);
      expect(codeOf(() => keyPairFromSeed(bad, Buffer.alloc(32)))).toBe("NOTE_INVALID");
    }
    expect(codeOf(() => keyPairFromSeed("ok", Buffer.alloc(31)))).toBe("NOTE_INVALID");
  });

  it("rejects malformed signer keys", () => {
    const [, , name = "", id = ""] = own.skey.split("+");
    const key = own.skey.slice(`PRIVATE+KEY+${name}+${id}+`.length);
    const raw = Buffer.from(key, "base64");
    const withKey = (bytes: Buffer): string => `PRIVATE+KEY+${name}+${id}+${bytes.toString("base64")}`;
    for (const bad of [
      "",
      own.skey.replace("PRIVATE+KEY+", "PRIVATE+KEYS+"),
      own.skey.replace("PRIVATE+KEY+", ""),
      `PRIVATE+KEY+${name}`,
      `PRIVATE+KEY+${name}+${id}`,
      `PRIVATE+KEY+${name}+${id}+`,
      own.skey.replace(`+${id}+`, "+1234567+"),
      own.skey.replace(`+${id}+`, "+1234567g+"),
      own.skey.replace(`+${id}+`, `+${(Number.parseInt(id, 16) ^ 1).toString(16).padStart(8, "0")}+`),
      withKey(Buffer.concat([Buffer.from([2]), raw.subarray(1)])),
      withKey(raw.subarray(0, 32)),
      withKey(Buffer.concat([raw, Buffer.from([0])])),
      `${own.skey} `,
      own.skey.slice(0, -1),
      `PRIVATE+KEY+bad name+${id}+${key}`,
      "x".repeat(10_000),
    ]) {
      expect(codeOf(() => signerFromSkey(bad)), bad).toBe("NOTE_INVALID");
    }
  });

  it("rejects malformed verifier keys", () => {
    const [name, id] = own.vkey.split("+") as [string, string];
    const raw = Buffer.from(own.vkey.split("+").slice(2).join("+"), "base64");
    const withKey = (bytes: Buffer): string => `${name}+${id}+${bytes.toString("base64")}`;
    for (const bad of [
      "",
      name,
      `${name}+${id}`,
      `${name}+${id}+`,
      own.vkey.replace(`+${id}+`, `+${id}0+`),
      own.vkey.replace(`+${id}+`, "+0x123456+"),
      own.vkey.replace(`${name}+`, "other.example/log+"),
      withKey(Buffer.concat([Buffer.from([4]), raw.subarray(1)])),
      withKey(raw.subarray(0, 20)),
      `${own.vkey}=`,
      `+${id}+${raw.toString("base64")}`,
      own.skey,
    ]) {
      expect(codeOf(() => verifierFromVkey(bad)), bad).toBe("NOTE_INVALID");
    }
  });

  it("accepts an upper-case key id, as x/mod does", () => {
    const [name = "", id = "", ...rest] = own.vkey.split("+");
    const upper = verifierFromVkey(`${name}+${id.toUpperCase()}+${rest.join("+")}`);
    expect(upper.keyId).toBe(ownVerifier.keyId);
  });

  it("verifiers reject signatures of the wrong length instead of throwing", () => {
    expect(ownVerifier.verify(Buffer.from("x"), Buffer.alloc(63))).toBe(false);
    expect(ownVerifier.verify(Buffer.from("x"), Buffer.alloc(64))).toBe(false);
    expect(ownVerifier.verify(Buffer.from("x"), ownSigner.sign(Buffer.from("x")))).toBe(true);
  });
});

describe("signNote", () => {
  it("requires text ending in a newline, note characters and a signer", () => {
    expect(codeOf(() => signNote("no newline", ownSigner))).toBe("NOTE_INVALID");
    expect(codeOf(() => signNote("tab\there\n", ownSigner))).toBe("NOTE_INVALID");
    expect(codeOf(() => signNote("cr\r\n", ownSigner))).toBe("NOTE_INVALID");
    expect(codeOf(() => signNote("lone \ud800\n", ownSigner))).toBe("NOTE_INVALID");
    expect(codeOf(() => signNote("ok\n"))).toBe("NOTE_INVALID");
    expect(codeOf(() => signNote(`${"a".repeat(MAX_NOTE_BYTES)}\n`, ownSigner))).toBe("NOTE_INVALID");
    const badName: NoteSigner = { name: "bad name", keyId: 1, sign: () => Buffer.alloc(64) };
    expect(codeOf(() => signNote("ok\n", badName))).toBe("NOTE_INVALID");
    const badId: NoteSigner = { name: "ok", keyId: 2 ** 32, sign: () => Buffer.alloc(64) };
    expect(codeOf(() => signNote("ok\n", badId))).toBe("NOTE_INVALID");
  });

  it("signs with several signers and keeps texts with empty lines intact", () => {
    const second = keyPairFromSeed("witness.example", Buffer.alloc(32, 9));
    const text = "line one\n\nline three\n\n";
    const note = signNote(text, ownSigner, signerFromSkey(second.skey));
    const opened = openNote(note, [ownVerifier, verifierFromVkey(second.vkey)]);
    expect(opened.text).toBe(text);
    expect(opened.signatures.map((s) => s.verified)).toEqual([true, true]);
    expect(openNote(note, [verifierFromVkey(second.vkey)]).signatures.map((s) => s.verified)).toEqual([false, true]);
  });
});

describe("openNote rejects malformed notes", () => {
  const good = signNote("hello\nworld\n", ownSigner);
  const sigLine = good.slice(good.lastIndexOf("\n\n") + 2);

  it("accepts the well-formed note, as a string or as UTF-8 bytes", () => {
    expect(openNote(good, [ownVerifier]).text).toBe("hello\nworld\n");
    expect(openNote(Buffer.from(good), [ownVerifier]).text).toBe("hello\nworld\n");
  });

  it.each([
    ["no blank line", good.replace("\n\n", "\n")],
    ["no signature lines", "hello\nworld\n\n"],
    ["signature block without final newline", good.slice(0, -1)],
    ["hyphen instead of em dash", good.replace("\u2014 ", "- ")],
    ["en dash instead of em dash", good.replace("\u2014 ", "\u2013 ")],
    ["em dash without space", good.replace("\u2014 ", "\u2014")],
    ["no signature after the name", good.replace(/ [A-Za-z0-9+/=]+\n$/, "\n")],
    ["empty signature", good.replace(/ [A-Za-z0-9+/=]+\n$/, " \n")],
    ["bad base64", good.replace(/=\n$/, "!\n")],
    ["unpadded base64", good.replace(/=\n$/, "\n")],
    ["signature too short", `hello\n\n\u2014 example.com/log AAAAAA==\n`],
    ["invalid signer name", good.replace("example.com/log ", "exa+mple ")],
    ["blank line between signatures", `${good}\n${sigLine}`],
    ["control character", good.replace("hello", "hel\u0007lo")],
    ["carriage return", good.replace("hello\n", "hello\r\n")],
    ["lone surrogate", good.replace("hello", "hel\udc00lo")],
    ["signature by the known key is wrong", good.replace("hello", "jello")],
    ["only an unknown signer", signNote("hi\n", signerFromSkey(generateKeyPair("example.com/log").skey))],
    ["more than 100 signatures", `hello\n\n${sigLine.repeat(101)}`],
    ["over 1 MiB", `${"a".repeat(MAX_NOTE_BYTES)}\n\n${sigLine}`],
  ])("%s", (_label, note) => {
    expect(codeOf(() => openNote(note, [ownVerifier]))).toBe("NOTE_INVALID");
  });

  it("rejects bytes that are not UTF-8 and oversized byte input", () => {
    const bytes = Buffer.from(good);
    expect(codeOf(() => openNote(Buffer.concat([Buffer.from([0xff]), bytes]), [ownVerifier]))).toBe("NOTE_INVALID");
    expect(codeOf(() => openNote(Buffer.concat([Buffer.from([0xc3]), bytes]), [ownVerifier]))).toBe("NOTE_INVALID");
    expect(codeOf(() => openNote(Buffer.alloc(MAX_NOTE_BYTES + 1, 0x61), [ownVerifier]))).toBe("NOTE_INVALID");
  });

  it("lists a repeated signature once and rejects ambiguous verifiers", () => {
    const twice = `${good}${sigLine}`;
    expect(openNote(twice, [ownVerifier]).signatures).toHaveLength(1);
    expect(codeOf(() => openNote(good, [ownVerifier, verifierFromVkey(own.vkey)]))).toBe("NOTE_INVALID");
  });

  it("treats a verifier that throws as a failed signature", () => {
    const throwing: NoteVerifier = {
      name: ownVerifier.name,
      keyId: ownVerifier.keyId,
      verify: () => {
        throw new RangeError("boom");
      },
    };
    expect(codeOf(() => openNote(good, [throwing]))).toBe("NOTE_INVALID");
  });
});

/** Characters that matter to the note grammar, plus arbitrary code points and lone surrogates. */
const noteChar = fc.oneof(
  fc.constantFrom("\n", "\n\n", "\u2014 ", "\u2014", " ", "+", "/", "=", "A", "\r", "\t", "\u0000"),
  fc.string({ unit: "binary", maxLength: 3 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);
const noteish = fc.array(noteChar, { maxLength: 60 }).map((parts) => parts.join(""));

/** Random edits (delete a span, insert text) applied to a valid text. */
function mutate(valid: string): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(valid.length), fc.nat(4), noteish);
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let text = valid;
    for (const [pos, del, insert] of edits) {
      const at = pos % (text.length + 1);
      text = text.slice(0, at) + insert + text.slice(at + del);
    }
    return text;
  });
}

describe("fuzzing: only ArbiterError escapes", () => {
  const goodText = "origin.example/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
  const good = signNote(goodText, ownSigner);

  it("openNote on arbitrary strings", () => {
    fc.assert(fc.property(noteish, (text) => onlyArbiterErrors(() => openNote(text, [ownVerifier, peter]))), { numRuns: 2000 });
  });

  it("openNote on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => onlyArbiterErrors(() => openNote(bytes, [ownVerifier]))), {
      numRuns: 1000,
    });
  });

  it("openNote on mutations of a valid note", () => {
    fc.assert(
      fc.property(mutate(good), (text) => {
        try {
          const opened = openNote(text, [ownVerifier]);
          // Whatever survives still carries the valid signature, so its text cannot have changed.
          expect(opened.text).toBe(goodText);
          expect(opened.signatures.some((s) => s.verified)).toBe(true);
        } catch (err) {
          if (!(err instanceof ArbiterError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("verifierFromVkey and signerFromSkey on arbitrary strings and mutations", () => {
    fc.assert(fc.property(noteish, (text) => onlyArbiterErrors(() => verifierFromVkey(text))), { numRuns: 1000 });
    fc.assert(fc.property(mutate(own.vkey), (text) => onlyArbiterErrors(() => verifierFromVkey(text))), { numRuns: 1000 });
    fc.assert(fc.property(mutate(own.skey), (text) => onlyArbiterErrors(() => signerFromSkey(text))), { numRuns: 500 });
  });
});
