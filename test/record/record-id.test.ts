// Record ids: RFC 9562 UUIDv7 layout, time order and uniqueness.
import { describe, expect, it } from "vitest";
import { newRecordId } from "../../src/record/index.js";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const timestampOf = (id: string) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);

describe("newRecordId", () => {
  it("is a UUIDv7 carrying the given millisecond", () => {
    const now = Date.UTC(2026, 10, 25, 10);
    const id = newRecordId(now + 10_000);
    expect(id).toMatch(UUID_V7);
    expect(timestampOf(id)).toBe(now + 10_000);
  });

  it("sorts strictly upward within one millisecond and when the clock steps back", () => {
    const start = Date.UTC(2027, 0, 1);
    const ids = [
      ...Array.from({ length: 10_000 }, () => newRecordId(start)),
      ...Array.from({ length: 100 }, () => newRecordId(start - 5_000)),
    ];
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    for (const id of ids) expect(id).toMatch(UUID_V7);
    // 10,100 ids overflow the 12-bit counter a few times; each overflow borrows one millisecond.
    expect(timestampOf(ids.at(-1)!) - start).toBeLessThan(10);
  });

  it("does not repeat", () => {
    const ids = new Set(Array.from({ length: 50_000 }, () => newRecordId()));
    expect(ids.size).toBe(50_000);
  });
});
