// The one grammar of the CLI's durations (--ttl, --grace, --duration, --window, --skew) and times (--from, --to, --at), documented in docs/cli.md#times-and-durations.
import { ArbiterError, normalizeTimestamp } from "../record/index.js";

const UNIT_SECONDS = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 } as const;
type Unit = keyof typeof UNIT_SECONDS;

// Whole units, optional spaces, an optional unit: the spaces are what `breakglass --duration "90 m"` took.
const DURATION = /^(\d+)\s*([smhd]?)$/;

/**
 * About a hundred years. Every limit downstream is far below (a grace period is at most 30 days), and
 * a bound keeps the seconds, their milliseconds and a time that far back exact and inside years 0000–9999.
 */
export const MAX_DURATION_SECONDS = 36_500 * UNIT_SECONDS.d;

const DURATION_FORMS = "a duration such as 900, 90s, 15m, 2h or 1d";
const TIME_FORMS = "an RFC 3339 time such as 2026-11-01T00:00:00Z, now, or a duration back from now such as 30d, 12h or 90m";

// ISO 8601 without seconds (2025-01-11T10:00Z): what `decide --at` has always taken.
const WITHOUT_SECONDS = /^(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2})([Zz]|[+-]\d{2}:\d{2})$/;

interface DurationParts {
  amount: string;
  unit: Unit;
}

function durationParts(text: string): DurationParts | undefined {
  const match = DURATION.exec(text.trim());
  return match === null ? undefined : { amount: match[1] as string, unit: match[2] as Unit };
}

/** The seconds a duration stands for, refused above MAX_DURATION_SECONDS (a number too long to be exact is far above it). */
function secondsOf(parts: DurationParts, text: string, flag: string): number {
  const seconds = Number(parts.amount) * UNIT_SECONDS[parts.unit];
  if (seconds > MAX_DURATION_SECONDS) throw new ArbiterError("USAGE", `${flag} must be at most ${MAX_DURATION_SECONDS / UNIT_SECONDS.d}d, got ${JSON.stringify(text)}`);
  return seconds;
}

/**
 * `900`, `90s`, `15m`, `2h` or `1d` (a space before the unit allowed) as whole seconds, 0 included;
 * `flag` names the option in the USAGE error for anything else (a sign, a fraction, an unknown unit, nothing).
 */
export function parseDuration(text: string, flag: string): number {
  const parts = durationParts(text);
  if (parts === undefined) throw new ArbiterError("USAGE", `${flag} must be ${DURATION_FORMS}, got ${JSON.stringify(text)}`);
  return secondsOf(parts, text, flag);
}

/**
 * A time flag's value as a normal RFC 3339 timestamp (UTC, milliseconds: 2026-11-01T00:00:00.000Z).
 * Takes an RFC 3339 time (seconds may be left out), `now`, or a duration back from now with its unit
 * (`30d`, `12h`, `90m`, `45s`). A bare number is refused: `--from 2026` reads as a year, not as seconds.
 * `now` is the command's start, read once by the caller, so `--from 1h --to now` is one hour exactly.
 */
export function parseTimeFlag(text: string, flag: string, now: Date): string {
  const refused = (): ArbiterError => new ArbiterError("USAGE", `${flag} must be ${TIME_FORMS}, got ${JSON.stringify(text)}`);
  const trimmed = text.trim();
  if (trimmed === "now") return now.toISOString();
  const parts = durationParts(trimmed);
  if (parts !== undefined) {
    if (parts.unit === "") throw refused();
    const time = new Date(now.getTime() - secondsOf(parts, text, flag) * 1000);
    // The clock itself may be near year 0000; a time before it has no RFC 3339 form.
    const normal = Number.isNaN(time.getTime()) ? undefined : normalizeTimestamp(time.toISOString());
    if (normal === undefined) throw refused();
    return normal;
  }
  const normal = normalizeTimestamp(trimmed.replace(WITHOUT_SECONDS, "$1:00$2"));
  if (normal === undefined) throw refused();
  return normal;
}

/** parseTimeFlag for an option that may be left out. */
export function optionalTimeFlag(text: string | undefined, flag: string, now: Date): string | undefined {
  return text === undefined ? undefined : parseTimeFlag(text, flag, now);
}

/**
 * The window of an optional `--from` and `--to`, both read against one reading of the clock (`now`,
 * the command's start); refused when both are given and `--from` is not before `--to`, since a
 * reversed window would find nothing without saying why.
 */
export function timeWindow(options: { from: string; to: string }, now: Date): { from: string; to: string };
export function timeWindow(options: { from?: string | undefined; to?: string | undefined }, now: Date): { from?: string; to?: string };
export function timeWindow(options: { from?: string | undefined; to?: string | undefined }, now: Date): { from?: string; to?: string } {
  const from = optionalTimeFlag(options.from, "--from", now);
  const to = optionalTimeFlag(options.to, "--to", now);
  if (from !== undefined && to !== undefined && from >= to) throw new ArbiterError("USAGE", `--from ${from} must be before --to ${to}`);
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** The help text's words for a time flag, so every command describes the grammar the same way. */
export const TIME_FLAG_HELP = "RFC 3339, now, or back from now: 30d, 12h, 90m";
