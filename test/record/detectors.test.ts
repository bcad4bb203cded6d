// Detectors: what each finds and what it must leave alone, and property tests that no planted value survives masking.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detect, luhnValid, sensitiveKind, type DetectorName } from "../../src/record/index.js";

function luhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(`${body}${d}`)) return String(d);
  throw new Error("unreachable: one check digit always fits");
}

const digits = (min: number, max: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((a) => a.join(""));
const card = digits(12, 18).map((body) => `${body}${luhnDigit(body)}`);
/** Full-width forms (U+FF01…U+FF5E) of ASCII digits and separators, and the ideographic space. */
const fullWidth = (text: string) => text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/ /g, "\u3000");
/** How people print cards: contiguous, or in groups of four split by spaces, dashes, dots or slashes, in ASCII or full-width. */
const printed = fc
  .tuple(card, fc.constantFrom("", " ", "-", ".", "/", "\u2013", "\u00a0"), fc.boolean())
  .map(([n, sep, wide]) => {
    const text = sep === "" ? n : (n.match(/.{1,4}/g) ?? []).join(sep);
    return wide ? fullWidth(text) : text;
  });
const around = fc.string({ maxLength: 40 });
const alnum = (n: number, chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") => fc.array(fc.constantFrom(...chars), { minLength: n, maxLength: n }).map((a) => a.join(""));
const b64url = (min: number, max: number) => fc.array(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), { minLength: min, maxLength: max }).map((a) => a.join(""));
const secret = fc.oneof(
  alnum(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789").chain((s) => fc.constantFrom(`AKIA${s}`, `ASIA${s}`)),
  alnum(36).chain((s) => fc.constantFrom(`ghp_${s}`, `gho_${s}`, `ghs_${s}`)),
  b64url(22, 60).map((s) => `github_pat_${s.replace(/-/g, "_")}`),
  alnum(24).chain((s) => fc.constantFrom(`sk_live_${s}`, `rk_live_${s}`, `xoxb-${s}`, `xoxp-1234-${s}`)),
  b64url(35, 35).map((s) => `AIza${s}`),
  fc.tuple(b64url(4, 40), b64url(4, 80), b64url(0, 86)).map(([h, p, sig]) => `eyJ${h}.eyJ${p}.${sig}`),
  fc.tuple(alnum(16, "0123456789abcdef"), b64url(43, 43)).map(([prefix, s]) => `arb_${prefix}_${s}`),
  fc.tuple(fc.constantFrom("", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "), b64url(20, 200)).map(([kind, body]) => `-----BEGIN ${kind}PRIVATE KEY-----\n${body}\n-----END ${kind}PRIVATE KEY-----`),
);
const ssn = fc.tuple(fc.integer({ min: 1, max: 899 }), fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 9999 }), fc.constantFrom("-", " "))
  .filter(([area]) => area !== 666)
  .map(([a, g, s, sep]) => `${String(a).padStart(3, "0")}${sep}${String(g).padStart(2, "0")}${sep}${String(s).padStart(4, "0")}`);
const email = fc.tuple(alnum(1).chain((f) => b64url(0, 20).map((r) => `${f}${r.replace(/-/g, ".").replace(/\.+$/, "").replace(/\.\.+/g, ".")}`)), alnum(6, "abcdefghijklmnopqrstuvwxyz"), fc.constantFrom("com", "org", "co.uk", "io"))
  .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);

function neverLeaks(detector: DetectorName, planted: fc.Arbitrary<string>): void {
  fc.assert(
    fc.property(around, planted, around, (before, value, after) => {
      const out = detect(detector, `${before} ${value} ${after}`);
      expect(out.text).not.toContain(value);
      expect(out.count).toBeGreaterThanOrEqual(1);
      expect(out.text).toContain(`[MASKED:${detector}]`);
    }),
    { numRuns: 300 },
  );
}

describe("Luhn", () => {
  it("accepts the check digit it computes and catches every single-digit error", () => {
    fc.assert(
      fc.property(card, fc.nat(), fc.integer({ min: 1, max: 9 }), (number, at, delta) => {
        expect(luhnValid(number)).toBe(true);
        const i = at % number.length;
        const changed = `${number.slice(0, i)}${(Number(number[i]) + delta) % 10}${number.slice(i + 1)}`;
        expect(luhnValid(changed)).toBe(false);
      }),
    );
    expect(["4111111111111111", "5500000000000004", "340000000000009", "6011000000000004"].map(luhnValid)).toEqual([true, true, true, true]);
    expect(["4111111111111112", "", "12a4"].map(luhnValid)).toEqual([false, false, false]);
  });
});

describe("detectors", () => {
  it.each<[DetectorName, string, string]>([
    ["payment_card", "card 4111 1111 1111 1111 exp 12/29", "card [MASKED:payment_card] exp 12/29"],
    ["payment_card", "amex 3400-000000-00009.", "amex [MASKED:payment_card]."],
    ["payment_card", "order 12 4111-1111-1111-1111 shipped", "order 12 [MASKED:payment_card] shipped"],
    ["payment_card", "not a card 4111 1111 1111 1112", "not a card 4111 1111 1111 1112"],
    ["payment_card", "counts 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", "counts 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"],
    ["payment_card", "id 41111111111111110000 is too long", "id 41111111111111110000 is too long"],
    ["payment_card", "dots 4111.1111.1111.1111.", "dots [MASKED:payment_card]."],
    ["payment_card", "path /cards/4111/1111/1111/1111/edit", "path /cards/[MASKED:payment_card]/edit"],
    ["payment_card", "wide ４１１１　１１１１　１１１１　１１１１ end", "wide [MASKED:payment_card] end"],
    ["payment_card", "wide ４１１１－１１１１－１１１１－１１１１", "wide [MASKED:payment_card]"],
    ["payment_card", "math 𝟒𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏𝟏 bold", "math [MASKED:payment_card] bold"],
    ["payment_card", "enumerated 411111111111111⒈", "enumerated [MASKED:payment_card]"],
    ["payment_card", "release 1.22.4 on 2026-12-05T16:01:50.123Z from 192.168.100.200", "release 1.22.4 on 2026-12-05T16:01:50.123Z from 192.168.100.200"],
    ["payment_card", "not a card 4111.1111.1111.1112 nor ４１１１１１１１１１１１１１１２", "not a card 4111.1111.1111.1112 nor ４１１１１１１１１１１１１１１２"],
    ["email", "write to ops.team+mcp@example.co.uk now", "write to [MASKED:email] now"],
    ["email", "user@localhost and a@b.c are not addresses", "user@localhost and a@b.c are not addresses"],
    ["national_id", "SSN 078-05-1120 / 123 45 6789", "SSN [MASKED:national_id] / [MASKED:national_id]"],
    ["national_id", "never issued: 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000", "never issued: 000-12-3456 666-12-3456 900-12-3456 123-00-4567 123-45-0000"],
    ["national_id", "NINO AB123456C and CE 12 34 56 D; not GB123456A nor QQ123456A (Q is never used)", "NINO [MASKED:national_id] and [MASKED:national_id]; not GB123456A nor QQ123456A (Q is never used)"],
    ["secret", "key=AKIAIOSFODNN7EXAMPLE;", "key=[MASKED:secret];"],
    ["secret", "AKIAIOSFODNN7EXAMPL is one short", "AKIAIOSFODNN7EXAMPL is one short"],
    ["secret", "-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\nafter", "[MASKED:secret]\nafter"],
    ["secret", "truncated -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE", "truncated [MASKED:secret]"],
    ["secret", "a public key -----BEGIN PUBLIC KEY----- stays", "a public key -----BEGIN PUBLIC KEY----- stays"],
  ])("%s: %j", (detector, input, output) => {
    expect(detect(detector, input).text).toBe(output);
  });

  it("never leaks a planted card number, however it is printed", () => neverLeaks("payment_card", printed));
  it("never leaks a planted secret", () => neverLeaks("secret", secret));
  it("never leaks a planted US social security number", () => neverLeaks("national_id", ssn));
  it("never leaks a planted e-mail address", () => neverLeaks("email", email));

  it("leaves ordinary numbers that fail the Luhn check alone: timestamps, versions, dates, addresses", () => {
    const ordinary = fc.oneof(
      fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.date({ min: new Date(1e12), max: new Date(4102444800000), noInvalidDate: true }).map((d) => String(d.getTime())),
      fc.tuple(fc.nat(99), fc.nat(99), fc.nat(999), fc.nat(9999)).map((v) => v.join(".")),
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((v) => v.join(".")),
      fc.tuple(fc.integer({ min: 1000, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), fc.constantFrom("-", "/", ".")).map(([y, m, d, sep]) => [y, m, d].join(sep)),
      // 13 to 16 digits in groups of four: no window of fewer groups reaches 13 digits, so the whole number is the only candidate.
      fc.tuple(digits(13, 16), fc.constantFrom("", " ", "-", ".", "/")).map(([n, sep]) => (sep === "" ? n : (n.match(/.{1,4}/g) ?? []).join(sep))),
    );
    fc.assert(
      fc.property(ordinary, fc.boolean(), (value, wide) => {
        const digitsOnly = value.replace(/\D/g, "");
        // Only a value whose whole digit string fails Luhn is "ordinary"; a 13-digit timestamp that happens to pass is a card as far as anyone can tell.
        fc.pre(digitsOnly.length < 13 || !luhnValid(digitsOnly));
        const text = wide ? fullWidth(value) : value;
        expect(detect("payment_card", `at ${text} ok`)).toEqual({ text: `at ${text} ok`, count: 0 });
      }),
      { numRuns: 500 },
    );
  });

  it("leaves the digits inside an identifier alone, and still finds a card set apart by punctuation", () => {
    // A real approval id whose last groups, "781-968926585632", pass the Luhn check (CI once masked it in a record's note).
    const id = "apr_01a24d6f-d8d7-733e-a781-968926585632";
    expect(luhnValid("781968926585632")).toBe(true);
    for (const text of [`request ${id} was denied`, "record 01a24d6f-d8d7-733e-a781-968926585632", "trace 4bf92f3577b34da6a3ce929d0e0e4736", "token x4111111111111111y"]) {
      expect(detect("payment_card", text)).toEqual({ text, count: 0 });
    }
    expect(detect("payment_card", "card:4111111111111111, (4111-1111-1111-1111) \"4111 1111 1111 1111\"").count).toBe(3);
  });

  it("leaves prose alone", () => {
    const prose = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz .,;:!?()'\n") });
    fc.assert(
      fc.property(prose, (text) => {
        for (const d of ["email", "payment_card", "national_id", "secret"] as const) expect(detect(d, text)).toEqual({ text, count: 0 });
      }),
    );
  });
});

describe("sensitiveKind", () => {
  it.each([
    ["bob@example.com", "email"],
    ["card 4111 1111 1111 1111", "payment_card"],
    ["ssn 123-45-6789", "national_id"],
    ["key AKIAIOSFODNN7EXAMPLE", "secret"],
    ["internal", undefined],
    ["/workspace/notes-2026-11-24.md", undefined],
  ])("%j: %s", (text, kind) => {
    expect(sensitiveKind(text)).toBe(kind);
  });
});
