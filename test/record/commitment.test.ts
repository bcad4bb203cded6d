// Salted commitments: a known-answer vector recomputable with standard tools, verification, and salting.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalize, commitValue, verifyCommitment } from "../../src/record/index.js";

// Salt = bytes 0x00..0x1f. The commitment was computed outside this code, as docs/record.md shows:
//   { printf '%s=' "$SALT" | tr '_-' '/+' | base64 -d; printf '%s' '{"n":3,"q":"weather in Paris"}'; } | sha256sum
const SALT = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const VALUE = { q: "weather in Paris", n: 3 };
const COMMITMENT = "sha256:5695c71d73840354eb90d598ab77b78cc1121305a2de2359834b313c6de2460a";

describe("commitValue", () => {
  it("is sha256(salt ‖ RFC 8785 bytes of the value)", () => {
    expect(commitValue(VALUE, SALT)).toEqual({ commitment: COMMITMENT, salt: SALT });
  });

  it("draws a fresh 32-byte salt each time, so equal values get different commitments", () => {
    const a = commitValue("same prompt");
    const b = commitValue("same prompt");
    expect(Buffer.from(a.salt, "base64url")).toHaveLength(32);
    expect(a.salt).not.toBe(b.salt);
    expect(a.commitment).not.toBe(b.commitment);
    expect(a.commitment).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each([
    ["a 15-byte salt", Buffer.alloc(15).toString("base64url"), "salt must be at least 16 bytes (got 15)"],
    ["padding", `${SALT}=`, "salt must be unpadded base64url"],
    ["standard base64", "+/+/+/+/+/+/+/+/+/+/+/", "salt must be unpadded base64url"],
    ["stray low bits", `${SALT.slice(0, -1)}f`, "salt must be unpadded base64url"],
  ])("refuses %s", (_, salt, message) => {
    expect(() => commitValue("x", salt)).toThrow(expect.objectContaining({ code: "INVALID_COMMITMENT", message }) as Error);
  });

  it("refuses a value that is not I-JSON", () => {
    expect(() => commitValue({ n: Number.NaN })).toThrow(expect.objectContaining({ code: "INVALID_JSON" }) as Error);
  });
});

describe("verifyCommitment", () => {
  it("accepts the known answer, in any member order", () => {
    expect(verifyCommitment(COMMITMENT, SALT, { n: 3, q: "weather in Paris" })).toBe(true);
  });

  it.each<[string, string, string, unknown]>([
    ["another value", COMMITMENT, SALT, { q: "weather in Paris", n: 4 }],
    ["another salt", COMMITMENT, `B${SALT.slice(1)}`, VALUE],
    ["upper-case hex", COMMITMENT.toUpperCase().replace("SHA256", "sha256"), SALT, VALUE],
    ["another algorithm", COMMITMENT.replace("sha256", "sha512"), SALT, VALUE],
    ["a truncated commitment", COMMITMENT.slice(0, -2), SALT, VALUE],
    ["a 15-byte salt", COMMITMENT, SALT.slice(0, 20), VALUE],
    ["a malformed salt", COMMITMENT, "not base64!", VALUE],
    ["a value that is not JSON", COMMITMENT, SALT, { n: Number.POSITIVE_INFINITY }],
  ])("rejects %s", (_, commitment, salt, value) => {
    expect(verifyCommitment(commitment, salt, value)).toBe(false);
  });

  it("verifies every fresh commitment and nothing else", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (value, other) => {
        const { commitment, salt } = commitValue(value);
        expect(verifyCommitment(commitment, salt, value)).toBe(true);
        if (canonicalize(value) !== canonicalize(other)) expect(verifyCommitment(commitment, salt, other)).toBe(false);
      }),
    );
  });
});
