// authenticate() on hostile input: any string is refused as CREDENTIAL_INVALID, nothing throws.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

const fx = freshDirectory();
const { directory } = fx;

describe("authenticate() fuzz", () => {
  it("refuses arbitrary strings without throwing", async () => {
    directory.jwks();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.base64String(), fc.stringMatching(/^arb_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/)), async (input) => {
        expect(await directory.authenticate(input)).toMatchObject({ ok: false, reason: "CREDENTIAL_INVALID" });
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses every one-character change to a valid key or token", async () => {
    await agent(directory, "fuzzed");
    const { key } = await directory.issueApiKey("fuzzed", ADMIN);
    const { token } = await directory.issueToken("fuzzed", {}, ADMIN);
    const alphabet = "ABCabc012_-.=+/ ";
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(key, token), fc.nat(), fc.constantFrom(...alphabet), async (valid, at, char) => {
        const i = at % valid.length;
        const mutated = valid.slice(0, i) + char + valid.slice(i + 1);
        fc.pre(mutated !== valid);
        const result = await directory.authenticate(mutated);
        // A base64url change in a JWS's last character may leave the signature's bytes intact (unused low bits).
        if (result.ok) expect(mutated.slice(0, -1)).toBe(valid.slice(0, -1));
        else expect(result.reason).toBe("CREDENTIAL_INVALID");
      }),
      { numRuns: 1000 },
    );
  });
});
