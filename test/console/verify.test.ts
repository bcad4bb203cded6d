// The console's browser proof verifier (WebCrypto SHA-256 and Ed25519, run here in Node's WebCrypto) against proofs of a real ledger.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyInclusion } from "../../src/console/app/verify/proof.js";
import { generateKeyPair } from "../../src/ledger/index.js";
import { eventLine, freshLedger } from "../support/ledger.js";

const opened = freshLedger();
const { ledger, vkey } = opened;
const SIZE = 13;

beforeAll(async () => {
  await Promise.all(Array.from({ length: SIZE }, (_, i) => ledger.append(eventLine(i))));
});
afterAll(() => ledger.close());

const leaf = (index: number): Uint8Array => new Uint8Array(ledger.entry(index));

/** The proof text with one character of line `line` changed (base64 stays well-formed: A <-> B). */
function flipLine(text: string, line: number): string {
  const lines = text.split("\n");
  const target = lines[line] ?? "";
  lines[line] = (target[0] === "A" ? "B" : "A") + target.slice(1);
  return lines.join("\n");
}

describe("the browser inclusion-proof verifier", () => {
  it("accepts the proof of every entry, leaf first and last included", async () => {
    for (let index = 0; index < SIZE; index++) {
      const verdict = await verifyInclusion(leaf(index), index, ledger.proveInclusion(index), vkey);
      expect(verdict.reason).toBeUndefined();
      expect(verdict.ok).toBe(true);
      expect(verdict.checkpoint?.size).toBe(SIZE);
      expect(verdict.steps.at(-1)).toBe(`root of tree size ${SIZE} recomputed and matches the signed checkpoint`);
    }
  });

  it("refuses a tampered leaf", async () => {
    const bytes = leaf(4);
    const at = bytes.length - 2;
    bytes[at] = (bytes[at] ?? 0) ^ 1;
    const verdict = await verifyInclusion(bytes, 4, ledger.proveInclusion(4), vkey);
    expect(verdict).toMatchObject({ ok: false, reason: "the proof does not lead to the checkpoint's root" });
  });

  it("refuses a proof with one audit-path hash changed", async () => {
    const verdict = await verifyInclusion(leaf(5), 5, flipLine(ledger.proveInclusion(5), 2), vkey);
    expect(verdict).toMatchObject({ ok: false, reason: "the proof does not lead to the checkpoint's root" });
  });

  it("refuses a proof for another entry than the one shown", async () => {
    const verdict = await verifyInclusion(leaf(5), 6, ledger.proveInclusion(5), vkey);
    expect(verdict).toMatchObject({ ok: false, reason: "the proof is for entry 5, not 6" });
  });

  it("refuses a checkpoint whose signed root was changed", async () => {
    const text = ledger.proveInclusion(3);
    const lines = text.split("\n");
    const rootLine = lines.findIndex((line, i) => i > 0 && lines[i - 1] === String(SIZE));
    const verdict = await verifyInclusion(leaf(3), 3, flipLine(text, rootLine), vkey);
    expect(verdict).toMatchObject({ ok: false, reason: "the checkpoint signature does not verify with the verifier key" });
  });

  it("refuses a checkpoint signed by another key of the same name", async () => {
    const other = generateKeyPair("test.arbiter.example/log").vkey;
    const verdict = await verifyInclusion(leaf(3), 3, ledger.proveInclusion(3), other);
    expect(verdict).toMatchObject({ ok: false, reason: "the checkpoint carries no signature by test.arbiter.example/log" });
  });

  it("refuses a verifier key whose key ID does not match", async () => {
    // The key is base64, which may itself hold a "+": keep everything after the second one.
    const [name, , ...key] = vkey.split("+");
    const verdict = await verifyInclusion(leaf(3), 3, ledger.proveInclusion(3), `${name}+00000000+${key.join("+")}`);
    expect(verdict).toMatchObject({ ok: false, reason: "the verifier key's ID does not match its key" });
  });

  it("refuses a proof that is too short or not a proof", async () => {
    const lines = ledger.proveInclusion(0).split("\n");
    lines.splice(2, 1);
    expect(await verifyInclusion(leaf(0), 0, lines.join("\n"), vkey)).toMatchObject({ ok: false, reason: "the proof is too short" });
    expect(await verifyInclusion(leaf(0), 0, "hello\n", vkey)).toMatchObject({ ok: false, reason: "the proof is not c2sp.org/tlog-proof@v1" });
  });
});
