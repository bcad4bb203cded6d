// The kinds of value a setting can take: how each is written in the settings file, in an environment variable and on the command line.
import { z } from "zod";

/**
 * A value kind: `schema` checks a value from the YAML file (already typed) and from text (env
 * or flag, converted by `fromText` first); `allowed` names the allowed values in error messages
 * and in `arbiter config show`; `format` writes a value back the way a person would type it.
 */
export interface Kind<T> {
  schema: z.ZodType<T>;
  allowed: string;
  fromText: (text: string) => unknown;
  format: (value: T) => string;
  /** How an invalid value is told back in an error message, when printing it whole could reveal a secret. */
  show?: (value: unknown) => string;
  /** The value may hold a credential: it is shown only through `format`, never as it is (`config show --json` too). */
  secret?: true;
}

const asInteger = (text: string): unknown => (/^-?\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : text);

export function integer(min: number, max: number, note = ""): Kind<number> {
  return {
    schema: z.number().int().min(min).max(max),
    allowed: `an integer from ${min} to ${max}${note}`,
    fromText: asInteger,
    format: String,
  };
}

export function port(): Kind<number> {
  return integer(0, 65535, " (0: any free port)");
}

/** A port that may be off: `off` (the default of a listener that is not wanted) or a port number. */
export function optionalPort(): Kind<number | null> {
  return {
    schema: z.union([z.literal("off").transform(() => null), z.null(), z.number().int().min(0).max(65535)]),
    allowed: "off, or an integer from 0 to 65535 (0: any free port)",
    fromText: (t) => (t.trim() === "off" ? "off" : asInteger(t)),
    format: (v) => (v === null ? "off" : String(v)),
  };
}

export function text(options: { pattern?: RegExp; allowed?: string } = {}): Kind<string> {
  const base = z.string().min(1).max(1024);
  return {
    schema: options.pattern ? base.regex(options.pattern) : base,
    allowed: options.allowed ?? "a non-empty text",
    fromText: (t) => t,
    format: (v) => v,
  };
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T): Kind<T[number]> {
  return {
    schema: z.enum(values),
    allowed: `one of ${values.join(", ")}`,
    fromText: (t) => t.trim(),
    format: (v) => v,
  };
}

export function flag(): Kind<boolean> {
  const words: Record<string, boolean> = { true: true, false: false, yes: true, no: false, on: true, off: false, "1": true, "0": false };
  return {
    schema: z.boolean(),
    allowed: "true or false",
    fromText: (t) => words[t.trim().toLowerCase()] ?? t,
    format: String,
  };
}

/** A list: a YAML sequence in the file, comma-separated in text. */
export function list(item: Kind<string>, allowed: string): Kind<string[]> {
  return {
    schema: z.array(item.schema).max(256),
    allowed,
    fromText: (t) => (t.trim() === "" ? [] : t.split(",").map((s) => s.trim())),
    format: (v) => (v.length === 0 ? "(none)" : v.join(",")),
  };
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration, kept in milliseconds: `500ms`, `30s`, `15m`, `2h`. A bare number means `bare`
 * (seconds for timeouts, as the CLI's other duration flags; milliseconds where an older flag
 * already took milliseconds).
 */
export function duration(options: { bare: "ms" | "s"; min?: number; max: number }): Kind<number> {
  const min = options.min ?? 0;
  const parse = (value: unknown): unknown => {
    if (typeof value === "number") return Number.isInteger(value) ? value * DURATION_UNITS[options.bare]! : value;
    if (typeof value !== "string") return value;
    const m = /^(\d{1,9})\s*(ms|s|m|h)?$/.exec(value.trim());
    if (m === null) return value;
    return Number(m[1]) * DURATION_UNITS[m[2] ?? options.bare]!;
  };
  return {
    schema: z.preprocess(parse, z.number().int().min(min).max(options.max)),
    allowed: `a duration from ${formatMs(min)} to ${formatMs(options.max)}, such as 500ms, 30s, 15m or 2h (a bare number is ${options.bare === "ms" ? "milliseconds" : "seconds"})`,
    fromText: (t) => t,
    format: formatMs,
  };
}

export function formatMs(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const BYTE_UNITS: Record<string, number> = { "": 1, B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** A size in bytes: `65536`, `64KiB`, `4MiB`. */
export function bytes(min: number, max: number): Kind<number> {
  const parse = (value: unknown): unknown => {
    if (typeof value !== "string") return value;
    const m = /^(\d{1,12})\s*(B|KiB|MiB|GiB)?$/.exec(value.trim());
    return m === null ? value : Number(m[1]) * BYTE_UNITS[m[2] ?? ""]!;
  };
  return {
    schema: z.preprocess(parse, z.number().int().min(min).max(max)),
    allowed: `a size from ${formatBytes(min)} to ${formatBytes(max)}, such as 65536, 64KiB or 4MiB`,
    fromText: (t) => t,
    format: formatBytes,
  };
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) if (n >= size && n % size === 0) return `${n / size}${unit}`;
  return String(n);
}

/** Text that may be off: `off` (the default of a feature that is not wanted) or a value matching `pattern`. */
export function optionalText(pattern: RegExp, allowed: string): Kind<string | null> {
  return {
    schema: z.union([z.literal("off").transform(() => null), z.null(), z.string().min(1).max(1024).regex(pattern)]),
    allowed: `off, or ${allowed}`,
    fromText: (t) => t.trim(),
    format: (v) => v ?? "off",
  };
}

/** A secret (a token): accepted like text, never printed back (`arbiter config show` says only whether it is set). */
export function secret(allowed: string): Kind<string | null> {
  return {
    schema: z.union([z.literal("off").transform(() => null), z.null(), z.string().min(1).max(4096).regex(/^[\x21-\x7e]+$/)]),
    allowed: `off, or ${allowed}`,
    fromText: (t) => t.trim(),
    format: (v) => (v === null ? "off" : "(set, not shown)"),
    show: () => "a value that is not shown",
    secret: true,
  };
}

/**
 * HTTP headers to send, `Name=value` each (comma-separated in text, as OTEL_EXPORTER_OTLP_HEADERS), whose
 * values may hold a token: shown by name only.
 */
export function headerList(): Kind<string[]> {
  const item = z.string().max(4096).regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}=[\x20-\x7e]*$/);
  return {
    schema: z.array(item).max(64),
    allowed: "Name=value headers (comma-separated in text), such as Authorization=Bearer abc",
    fromText: (t) => (t.trim() === "" ? [] : t.split(",").map((s) => s.trim())),
    format: (v) => (v.length === 0 ? "(none)" : v.map((h) => `${h.split("=")[0] ?? ""}=(not shown)`).join(",")),
    show: (v) => (Array.isArray(v) ? `${v.length} header(s), values not shown` : "a value that is not shown"),
    secret: true,
  };
}
