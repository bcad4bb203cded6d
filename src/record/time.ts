// Timestamps: any RFC 3339 date-time in, one normal form out, so equal instants have equal bytes.
import { z } from "zod";

// RFC 3339 §5.6 date-time; "T" and "Z" may be lower case (§5.6 NOTE).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const NORMAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// Date.UTC reads years 0–99 as 1900–1999; 400 Gregorian years are exactly 146097 days.
const FOUR_CENTURIES_MS = 146097 * 86_400_000;

/**
 * Returns `s` as UTC with exactly three fraction digits (2026-11-25T10:00:00.000Z), or undefined
 * when `s` is not an RFC 3339 date-time. Digits beyond milliseconds are truncated; a leap second
 * (:60) folds into the next second as POSIX time does; results outside years 0000–9999 are refused.
 */
export function normalizeTimestamp(s: string): string | undefined {
  // Most timestamps arrive already normal; checking them in place skips a Date round trip on the hot path.
  if (NORMAL.test(s) && isValidNormal(s)) return s;
  const m = RFC3339.exec(s);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  let offsetMinutes = 0;
  if (m[8] === undefined) {
    const offHour = Number(m[10]);
    const offMinute = Number(m[11]);
    if (offHour > 23 || offMinute > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offHour * 60 + offMinute);
  }
  const shift = year < 100 ? 400 : 0;
  const epochMs =
    Date.UTC(year + shift, month - 1, day, hour, minute, second, millis) -
    (shift === 0 ? 0 : FOUR_CENTURIES_MS) -
    offsetMinutes * 60_000;
  const normal = new Date(epochMs).toISOString();
  return NORMAL.test(normal) ? normal : undefined;
}

function isValidNormal(s: string): boolean {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 7);
  const day = digits(s, 8, 10);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    digits(s, 11, 13) <= 23 &&
    digits(s, 14, 16) <= 59 &&
    digits(s, 17, 19) <= 59
  );
}

function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Accepts any RFC 3339 date-time and outputs its normal form. */
export const timestampSchema = z.string().transform((s, ctx) => {
  const normal = normalizeTimestamp(s);
  if (normal !== undefined) return normal;
  ctx.issues.push({
    code: "custom",
    input: s,
    message: "expected an RFC 3339 date-time such as 2026-11-25T10:00:00.000Z",
  });
  return z.NEVER;
});
