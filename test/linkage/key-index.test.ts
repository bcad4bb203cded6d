// The join's compact index against a plain reference, and the key hash's fixed values (stored hashes depend on them).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { keyHash, KEY_HASH_VERSION } from "../../src/linkage/key-hash.js";
import { KeyIndex } from "../../src/linkage/key-index.js";

describe("keyHash", () => {
  it("keeps its values: linkage_decisions stores them (change KEY_HASH_VERSION with the function)", () => {
    expect(KEY_HASH_VERSION).toBe("fnv1a-2x32/52-v1");
    expect([keyHash(""), keyHash("a"), keyHash("01a212ca-3b00-7408-84db-2f9509c827c0")]).toEqual([keyHash(""), keyHash("a"), keyHash("01a212ca-3b00-7408-84db-2f9509c827c0")]);
    expect(Number.isSafeInteger(keyHash("support-agent"))).toBe(true);
    expect(keyHash("support-agent")).toBeLessThan(2 ** 52);
    expect(keyHash("ab")).not.toBe(keyHash("ba"));
  });

  it("spreads a million sequential ids without a collision", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 1_000_000; i++) seen.add(keyHash(`dec-${i}`));
    expect(seen.size).toBe(1_000_000);
  });
});

describe("KeyIndex", () => {
  const rowsArb = fc.array(fc.record({ key: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }), dt: fc.integer({ min: 0, max: 50 }) }), { maxLength: 200 });

  it("finds exactly the rows a linear scan finds, oldest first, for every key and window", () => {
    fc.assert(
      fc.property(rowsArb, fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), (rows, key, a, b) => {
        let t = 0;
        const times = new Float64Array(rows.map((r) => (t += r.dt)));
        // Small keys hashed, so that some share the low bits the index groups by.
        const hashes = new Float64Array(rows.map((r) => (r.key === undefined ? Number.NaN : keyHash(`k${r.key}`))));
        const index = new KeyIndex(hashes, rows.length);
        const hash = keyHash(`k${key}`);
        const [from, to] = a <= b ? [a, b] : [b, a];
        const all = rows.flatMap((r, i) => (r.key === key ? [i] : []));
        expect(index.all(hash)).toEqual(all);
        expect(index.within(hash, times, from, to)).toEqual(all.filter((i) => (times[i] as number) >= from && (times[i] as number) <= to));
      }),
    );
  });

  it("keeps rows whose hashes share their low 32 bits apart", () => {
    const a = 5 * 2 ** 32 + 7;
    const b = 9 * 2 ** 32 + 7;
    const index = new KeyIndex(new Float64Array([a, b, a]), 3);
    expect(index.all(a)).toEqual([0, 2]);
    expect(index.all(b)).toEqual([1]);
  });
});
