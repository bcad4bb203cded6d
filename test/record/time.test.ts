// Timestamps: every RFC 3339 spelling of an instant normalises to one UTC millisecond form.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeTimestamp } from "../../src/record/index.js";

describe("normalizeTimestamp", () => {
  it.each([
    ["2026-11-25T10:00:00.000Z", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T10:00:00Z", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25t10:00:00z", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T11:00:00+01:00", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T05:30:00-04:30", "2026-11-25T10:00:00.000Z"],
    ["2026-11-25T10:00:00.5Z", "2026-11-25T10:00:00.500Z"],
    ["2026-11-25T10:00:00.123456789Z", "2026-11-25T10:00:00.123Z"],
    ["2026-11-25T10:00:00-00:00", "2026-11-25T10:00:00.000Z"],
    ["2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"],
    ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
    ["2016-12-31T23:59:60Z", "2017-01-01T00:00:00.000Z"],
    ["0050-06-01T00:00:00Z", "0050-06-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    "2026-11-25",
    "2026-11-25 10:00:00Z",
    "2026-11-25T10:00Z",
    "2026-11-25T10:00:00",
    "2026-11-25T10:00:00.Z",
    "2026-11-25T10:00:00+0100",
    "2026-02-29T00:00:00Z",
    "2026-02-30T00:00:00.000Z",
    "2026-13-01T00:00:00Z",
    "2026-04-31T00:00:00.000Z",
    "2026-11-25T24:00:00Z",
    "2026-11-25T10:60:00Z",
    "2026-11-25T10:00:61Z",
    "2026-11-25T10:00:00+24:00",
    "0000-01-01T00:00:00+00:01",
    "+12026-11-25T10:00:00Z",
    "1764064800000",
  ])("refuses %s", (input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
  });

  it("keeps the instant whatever the offset", () => {
    const instant = fc.date({ min: new Date("0001-01-02T00:00:00Z"), max: new Date("9999-12-30T00:00:00Z"), noInvalidDate: true });
    const offset = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    fc.assert(
      fc.property(instant, offset, (date, minutes) => {
        const local = new Date(date.getTime() + minutes * 60_000).toISOString().slice(0, 23);
        const sign = minutes < 0 ? "-" : "+";
        const abs = Math.abs(minutes);
        const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
        expect(normalizeTimestamp(text)).toBe(date.toISOString());
      }),
    );
  });
});
