// The request-target as a proxy forwarded it, reduced to one canonical path before any route is matched.
//
// Canonical form: percent-decoded UTF-8 segments joined by "/", starting with "/", a trailing "/"
// kept. Anything that two servers could read differently is refused instead of repaired:
// dot segments (also encoded, %2e%2e), encoded "/" or "\" (%2f, %5c), a "%" that decodes to another
// escape (double encoding, %252e), NUL and control characters, ";" path parameters, empty
// segments ("//") and raw non-ASCII bytes. RFC 3986 §3.3 and §6.2.2 define the pieces; the refusals
// follow the confusions that let a path past a prefix check (CVE-2021-41773, CVE-2019-10092-style
// parser differentials).

/** Longest request-target accepted (path and query); nginx's default header buffer is 8 KiB. */
export const MAX_TARGET_BYTES = 4096;

export interface Target {
  /** The canonical path the routes are matched against and the record names. */
  path: string;
  /** Decoded segments of `path` (no empty ones except a trailing slash's). */
  segments: string[];
  /** The query as sent, without "?" (never recorded: it may carry secrets). */
  query: URLSearchParams;
}

export type TargetResult = { ok: true; target: Target } | { ok: false; problem: string };

const HEX = /^[0-9A-Fa-f]{2}$/;
// Visible ASCII a request-target may hold raw (RFC 3986 unreserved, sub-delims, ":", "@", "/", "?", "%").
const RAW_ALLOWED = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;

function refuse(problem: string): TargetResult {
  return { ok: false, problem };
}

/** Requires `raw` to have passed RAW_ALLOWED (visible ASCII only). */
function decodeSegment(raw: string): { ok: true; value: string } | { ok: false; problem: string } {
  // Without a "%" the segment is its own decoding: the byte round trip below was ≈ 40% of canonicalTarget.
  if (!raw.includes("%")) return { ok: true, value: raw };
  const bytes: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX.test(hex)) return { ok: false, problem: `a "%" not followed by two hex digits in ${JSON.stringify(raw)}` };
    const b = Number.parseInt(hex, 16);
    if (b === 0x2f || b === 0x5c) return { ok: false, problem: `an encoded ${b === 0x2f ? "slash (%2F)" : "backslash (%5C)"} in the path` };
    if (b === 0x25) return { ok: false, problem: "a double-encoded character (%25) in the path" };
    if (b < 0x20 || b === 0x7f) return { ok: false, problem: `an encoded control character (%${hex.toUpperCase()}) in the path` };
    if (b === 0x3b) return { ok: false, problem: "an encoded \";\" (%3B) in the path" };
    bytes.push(b);
    i += 2;
  }
  const decoded = Buffer.from(bytes);
  const text = decoded.toString("utf8");
  // A round trip that changes the bytes means they were not UTF-8 (a lone continuation byte, an overlong form).
  if (!Buffer.from(text, "utf8").equals(decoded)) return { ok: false, problem: "the path does not decode to UTF-8" };
  return { ok: true, value: text };
}

/** Parses an origin-form request-target (`/path?query`, RFC 9112 §3.2.1) into its canonical path, or says why not. */
export function canonicalTarget(raw: string): TargetResult {
  if (raw.length === 0) return refuse("the request-target is empty");
  if (Buffer.byteLength(raw, "latin1") > MAX_TARGET_BYTES) return refuse(`the request-target is longer than ${MAX_TARGET_BYTES} bytes`);
  if (!raw.startsWith("/")) return refuse("the request-target is not a path starting with \"/\"");
  if (raw.includes("\\")) return refuse("a backslash in the request-target");
  if (raw.includes("#")) return refuse("a fragment (#) in the request-target");
  if (!RAW_ALLOWED.test(raw)) return refuse("a control, space or non-ASCII character in the request-target (send it percent-encoded)");
  const q = raw.indexOf("?");
  const rawPath = q === -1 ? raw : raw.slice(0, q);
  const rawQuery = q === -1 ? "" : raw.slice(q + 1);
  if (rawPath.includes(";")) return refuse("a \";\" path parameter in the path");
  const parts = rawPath.slice(1).split("/");
  const segments: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const last = i === parts.length - 1;
    if (part === "") {
      if (last) {
        if (i > 0) segments.push("");
        continue;
      }
      return refuse("an empty path segment (//)");
    }
    const decoded = decodeSegment(part);
    if (!decoded.ok) return refuse(decoded.problem);
    if (decoded.value === "." || decoded.value === "..") return refuse(`a dot segment (${JSON.stringify(part)}) in the path`);
    segments.push(decoded.value);
  }
  if (/%(?:00|25)/i.test(rawQuery)) return refuse("a NUL or double-encoded character in the query");
  const path = `/${segments.join("/")}`;
  return { ok: true, target: { path, segments, query: new URLSearchParams(rawQuery) } };
}
