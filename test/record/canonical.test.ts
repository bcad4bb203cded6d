// RFC 8785 conformance: the RFC's own examples (§3.2.2, §3.2.3, §3.2.4, Appendix B) and canonical-form properties.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ArbiterError, canonicalBytes, canonicalize, isCanonical } from "../../src/record/index.js";

// Built from code points so that no editor or formatter can touch the escapes under test.
const u = (...points: number[]) => String.fromCodePoint(...points);
const BACKSLASH = u(0x5c);

describe("canonicalize: RFC 8785 examples", () => {
  it("§3.2.2: primitives, escaping and numbers", () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
        ' "literals": [null, true, false]}',
    ) as unknown;
    const expected =
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"' +
      `${u(0x20ac)}$${BACKSLASH}u000f${BACKSLASH}nA'B${BACKSLASH}"${BACKSLASH}${BACKSLASH}${BACKSLASH}${BACKSLASH}${BACKSLASH}"/"}`;
    expect(canonicalize(input)).toBe(expected);
  });

  it("§3.2.4: the same example as UTF-8 bytes", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    ) as unknown;
    const hex = `
      7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72
      75 65 2c 66 61 6c 73 65 5d 2c 22 6e 75 6d 62 65 72 73 22 3a
      5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31
      65 2b 33 30 2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37
      5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30
      30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d`.replace(/\s+/g, "");
    expect(canonicalBytes(input).toString("hex")).toBe(hex);
  });

  it("§3.2.3: members sorted by UTF-16 code units, not code points or locale", () => {
    const input = Object.fromEntries([
      [u(0x20ac), "Euro Sign"],
      [u(0x0d), "Carriage Return"],
      [u(0xfb33), "Hebrew Letter Dalet With Dagesh"],
      ["1", "One"],
      [u(0x1f600), "Emoji: Grinning Face"],
      [u(0x80), "Control"],
      [u(0xf6), "Latin Small Letter O With Diaeresis"],
    ]) as Record<string, string>;
    const expected =
      `{"${BACKSLASH}r":"Carriage Return","1":"One","${u(0x80)}":"Control",` +
      `"${u(0xf6)}":"Latin Small Letter O With Diaeresis","${u(0x20ac)}":"Euro Sign",` +
      `"${u(0x1f600)}":"Emoji: Grinning Face","${u(0xfb33)}":"Hebrew Letter Dalet With Dagesh"}`;
    expect(canonicalize(input)).toBe(expected);
  });

  // Appendix B: IEEE 754 binary64 bit patterns and their canonical text.
  const appendixB: [string, string][] = [
    ["0000000000000000", "0"],
    ["8000000000000000", "0"],
    ["0000000000000001", "5e-324"],
    ["8000000000000001", "-5e-324"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["ffefffffffffffff", "-1.7976931348623157e+308"],
    ["4340000000000000", "9007199254740992"],
    ["c340000000000000", "-9007199254740992"],
    ["4430000000000000", "295147905179352830000"],
    ["44b52d02c7e14af5", "9.999999999999997e+22"],
    ["44b52d02c7e14af6", "1e+23"],
    ["44b52d02c7e14af7", "1.0000000000000001e+23"],
    ["444b1ae4d6e2ef4e", "999999999999999700000"],
    ["444b1ae4d6e2ef4f", "999999999999999900000"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"],
    ["3eb0c6f7a0b5ed8d", "0.000001"],
    ["41b3de4355555553", "333333333.3333332"],
    ["41b3de4355555554", "333333333.33333325"],
    ["41b3de4355555555", "333333333.3333333"],
    ["41b3de4355555556", "333333333.3333334"],
    ["41b3de4355555557", "333333333.33333343"],
    ["becbf647612f3696", "-0.0000033333333333333333"],
    ["43143ff3c1cb0959", "1424953923781206.2"],
  ];
  it.each(appendixB)("Appendix B: %s is %s", (bits, text) => {
    const number = Buffer.from(bits, "hex").readDoubleBE(0);
    expect(canonicalize(number)).toBe(text);
  });

  it.each([
    ["7fffffffffffffff", "NaN"],
    ["7ff0000000000000", "Infinity"],
  ])("Appendix B: %s (%s) is refused", (bits) => {
    expect(() => canonicalize(Buffer.from(bits, "hex").readDoubleBE(0))).toThrow(ArbiterError);
  });
});

describe("canonicalize: what is not I-JSON is refused", () => {
  it.each<[string, unknown]>([
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "\udc00"],
    ["a lone surrogate in a key", { "\ud83d": 1 }],
    ["undefined", undefined],
    ["undefined in an array", [1, undefined]],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a bigint", 1n],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
  ])("%s", (_, value) => {
    expect(() => canonicalize(value)).toThrow(expect.objectContaining({ code: "INVALID_JSON" }) as Error);
  });

  it("a cycle, without overflowing the stack", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalize(cyclic)).toThrow(/deeper than 256 levels or cyclic/);
  });

  it("keeps a surrogate pair, and leaves out members that are undefined", () => {
    expect(canonicalize({ b: undefined, a: u(0x1f600), c: Object.create(null) as object })).toBe(
      `{"a":"${u(0x1f600)}","c":{}}`,
    );
  });
});

describe("isCanonical", () => {
  it.each([
    ['{"a":1,"b":[true,null]}', true],
    ['"x"', true],
    ["0", true],
    ['{"b":1,"a":2}', false],
    ['{"a": 1}', false],
    ['{"a":1.0}', false],
    ['{"a":-0}', false],
    ['{"a":"\\u0041"}', false],
    ['{"a":1,"a":1}', false],
    ['{"a":9007199254740993}', false],
    ['"\\ud800"', false],
    ["\ufeff{}", false],
    ["{}\n", false],
    ["", false],
  ])("%j is %s", (text, expected) => {
    expect(isCanonical(Buffer.from(text, "utf8"))).toBe(expected);
  });

  it("is false for malformed UTF-8", () => {
    expect(isCanonical(Buffer.from([0x22, 0xc3, 0x28, 0x22]))).toBe(false);
  });
});

describe("canonical form properties", () => {
  it("re-canonicalizing canonical JSON gives the same text, and isCanonical agrees", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = canonicalize(value);
        expect(canonicalize(JSON.parse(once))).toBe(once);
        expect(isCanonical(Buffer.from(once, "utf8"))).toBe(true);
      }),
    );
  });

  it("member order does not matter", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalize(reversed)).toBe(canonicalize(value));
      }),
    );
  });

  // RFC 8785 §3.2.2 defines strings and numbers by JSON.stringify, so with members in order the two
  // agree. Keys get a letter first: JavaScript objects list integer-like keys numerically.
  it("matches JSON.stringify when members are already in order", () => {
    const key = fc.string({ unit: "binary" }).map((s) => `k${s}`);
    const scalar = fc.oneof(fc.string({ unit: "binary" }), fc.double({ noNaN: true, noDefaultInfinity: true }));
    fc.assert(
      fc.property(fc.array(fc.tuple(key, scalar)), (pairs) => {
        const inOrder = [...new Map(pairs)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        const value = Object.fromEntries(inOrder);
        expect(canonicalize(value)).toBe(JSON.stringify(value));
      }),
    );
  });
});
