// The CLI's one grammar of durations and time flags: every accepted form, every refusal, the boundaries.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_DURATION_SECONDS, optionalTimeFlag, parseDuration, parseTimeFlag, timeWindow } from "../../src/cli/time-flags.js";
import { ArbiterError } from "../../src/record/index.js";

const NOW = new Date("2026-12-06T12:00:00.000Z");
const UNITS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** The USAGE message `fn` is refused with; fails if it is not refused, or with another code. */
function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ArbiterError);
    expect((err as ArbiterError).code).toBe("USAGE");
    return (err as ArbiterError).message;
  }
  throw new Error("not refused");
}

describe("parseDuration", () => {
  it.each([
    ["0", 0],
    ["900", 900],
    ["90s", 90],
    ["15m", 900],
    ["2h", 7200],
    ["1d", 86_400],
    ["30d", 2_592_000],
    [" 10m ", 600],
    ["90 m", 5400],
    ["90  s", 90],
    ["007m", 420],
    ["999999999", 999_999_999],
    ["36500d", MAX_DURATION_SECONDS],
    [`${MAX_DURATION_SECONDS}`, MAX_DURATION_SECONDS],
  ])("reads %j as %d seconds", (text, seconds) => {
    expect(parseDuration(text, "--ttl")).toBe(seconds);
  });

  it.each(["", " ", "soon", "-5m", "+5m", "1.5h", "1e3", "5w", "5M", "5H", "m", "1h30m", "5 minutes", "0x10", "Infinity"])("refuses %j naming the flag and the forms", (text) => {
    expect(usage(() => parseDuration(text, "--grace"))).toBe(`--grace must be a duration such as 900, 90s, 15m, 2h or 1d, got ${JSON.stringify(text)}`);
  });

  it.each(["36501d", `${MAX_DURATION_SECONDS + 1}`, "876577h", "9".repeat(400), "99999999999999999999d"])("refuses %j as longer than the bound", (text) => {
    expect(usage(() => parseDuration(text, "--window"))).toBe(`--window must be at most 36500d, got ${JSON.stringify(text)}`);
  });

  it("reads every whole amount of every unit up to the bound exactly", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), fc.nat({ max: 36_500 * 86_400 }), (unit, amount) => {
        const seconds = amount * UNITS[unit];
        if (seconds > MAX_DURATION_SECONDS) expect(() => parseDuration(`${amount}${unit}`, "--ttl")).toThrow(/at most 36500d/);
        else expect(parseDuration(`${amount}${unit}`, "--ttl")).toBe(seconds);
      }),
    );
  });
});

describe("parseTimeFlag", () => {
  it.each([
    ["2026-11-01T00:00:00Z", "2026-11-01T00:00:00.000Z"],
    ["2026-11-01T01:30:00+01:30", "2026-11-01T00:00:00.000Z"],
    ["2026-11-01t00:00:00.123456z", "2026-11-01T00:00:00.123Z"],
    ["2025-01-11T10:00Z", "2025-01-11T10:00:00.000Z"],
    ["2025-01-06T03:00+01:00", "2025-01-06T02:00:00.000Z"],
    ["now", "2026-12-06T12:00:00.000Z"],
    [" now ", "2026-12-06T12:00:00.000Z"],
    ["0s", "2026-12-06T12:00:00.000Z"],
    ["45s", "2026-12-06T11:59:15.000Z"],
    ["90m", "2026-12-06T10:30:00.000Z"],
    ["12h", "2026-12-06T00:00:00.000Z"],
    ["30d", "2026-11-06T12:00:00.000Z"],
    ["1 d", "2026-12-05T12:00:00.000Z"],
    ["36500d", new Date(NOW.getTime() - MAX_DURATION_SECONDS * 1000).toISOString()],
  ])("reads %j as %s", (text, time) => {
    expect(parseTimeFlag(text, "--from", NOW)).toBe(time);
  });

  it.each([
    "",
    "tomorrow",
    "yesterday",
    "Now",
    "NOW",
    "2026",
    "900",
    "-30d",
    "+30d",
    "1.5d",
    "30 days",
    "2026-11-01",
    "2026-11-01T00:00:00",
    "2026-11-01 00:00:00Z",
    "2026-13-01T00:00:00Z",
    "2026-02-29T00:00:00Z",
    "2026-11-01T00Z",
    "Sun, 01 Nov 2026 00:00:00 GMT",
  ])("refuses %j naming the flag and the forms", (text) => {
    expect(usage(() => parseTimeFlag(text, "--to", NOW))).toBe(
      `--to must be an RFC 3339 time such as 2026-11-01T00:00:00Z, now, or a duration back from now such as 30d, 12h or 90m, got ${JSON.stringify(text)}`,
    );
  });

  it.each(["36501d", "9999999999999999999999h"])("refuses %j as further back than the bound", (text) => {
    expect(usage(() => parseTimeFlag(text, "--from", NOW))).toBe(`--from must be at most 36500d, got ${JSON.stringify(text)}`);
  });

  it("refuses a time back from a clock so early that it would fall before year 0000", () => {
    expect(usage(() => parseTimeFlag("2d", "--at", new Date("0000-01-01T12:00:00.000Z")))).toMatch(/^--at must be an RFC 3339 time/);
    expect(parseTimeFlag("12h", "--at", new Date("0000-01-01T12:00:00.000Z"))).toBe("0000-01-01T00:00:00.000Z");
  });

  it("resolves every relative time against the one clock it is given, as the duration back from it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(UNITS) as (keyof typeof UNITS)[])), fc.nat({ max: 36_500 }), (unit, amount) => {
        const back = amount * UNITS[unit] * 1000;
        expect(Date.parse(parseTimeFlag(`${amount}${unit}`, "--from", NOW))).toBe(NOW.getTime() - back);
      }),
    );
  });

  it("leaves an option not given undefined, and reads one given", () => {
    expect(optionalTimeFlag(undefined, "--from", NOW)).toBeUndefined();
    expect(optionalTimeFlag("1h", "--from", NOW)).toBe("2026-12-06T11:00:00.000Z");
  });
});

describe("timeWindow", () => {
  it("reads both ends against one clock, leaves out an end not given, and refuses a window whose --from is not before its --to", () => {
    expect(timeWindow({ from: "30d", to: "now" }, NOW)).toEqual({ from: "2026-11-06T12:00:00.000Z", to: "2026-12-06T12:00:00.000Z" });
    expect(timeWindow({ to: "1h" }, NOW)).toEqual({ to: "2026-12-06T11:00:00.000Z" });
    expect(timeWindow({}, NOW)).toEqual({});
    for (const reversed of [{ from: "now", to: "1h" }, { from: "1h", to: "1h" }, { from: "2026-12-06T12:00:00Z", to: "2026-12-01T00:00:00Z" }]) {
      let refused: unknown;
      try {
        timeWindow(reversed, NOW);
      } catch (err) {
        refused = err;
      }
      expect(refused).toBeInstanceOf(ArbiterError);
      expect((refused as ArbiterError).code).toBe("USAGE");
      expect((refused as ArbiterError).message).toMatch(/^--from \S+ must be before --to \S+$/);
    }
  });
});
