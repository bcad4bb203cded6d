// Paths into an outside event, as mapping files write them (`user.id`, `headers["x-arbiter-decision-id"]`, `resources[0].ARN`).
import { ArbiterError, normalizeTimestamp } from "../record/index.js";

export type Path = readonly (string | number)[];

const SEGMENT = /\s*(?:\.?([A-Za-z_$@][\w$@-]*)|\[(\d+)\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\])/y;

/** Parses `a.b[0]["c.d"]`; throws USAGE naming the offending text. */
export function parsePath(expression: string): Path {
  const path: (string | number)[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < expression.length) {
    const start = SEGMENT.lastIndex;
    const m = SEGMENT.exec(expression);
    if (m === null || (start === 0 && expression.startsWith("."))) {
      throw new ArbiterError("USAGE", `mapping path ${JSON.stringify(expression)} is not valid at character ${start + 1} (write a.b, a[0] or a["b.c"])`);
    }
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    else path.push(JSON.parse(`"${m[3] ?? ""}"`) as string);
  }
  if (path.length === 0) throw new ArbiterError("USAGE", "a mapping path is empty");
  return path;
}

export function valueAt(value: unknown, path: Path): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** A non-empty string (numbers are written as text), else undefined. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

export function textAt(value: unknown, ...path: (string | number)[]): string | undefined {
  return textOf(valueAt(value, path));
}

export function objectAt(value: unknown, ...path: (string | number)[]): Record<string, unknown> | undefined {
  const found = valueAt(value, path);
  return found !== null && typeof found === "object" && !Array.isArray(found) ? (found as Record<string, unknown>) : undefined;
}

/** Records hold years 0000–9999 only (docs/record.md). */
const YEAR_10000 = Date.UTC(10000, 0, 1);

/** Milliseconds since the epoch of an RFC 3339 string, or of a number of seconds (< 1e11) or milliseconds. */
export function timeOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    const ms = value < 1e11 ? Math.round(value * 1000) : Math.round(value);
    return ms < YEAR_10000 ? ms : undefined;
  }
  if (typeof value !== "string") return undefined;
  const normal = normalizeTimestamp(value.trim());
  if (normal !== undefined) return Date.parse(normal);
  return /^\d{9,13}(\.\d+)?$/.test(value.trim()) ? timeOf(Number(value)) : undefined;
}
