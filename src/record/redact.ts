// Secrets never reach a leaf: every free-text field of a record is run through the detectors, and
// what they find becomes [REDACTED:kind:digest], keyed so that equal values give equal markers.
import { createHmac } from "node:crypto";
import { findValues, type Found, type FoundKind } from "./detectors.js";
import { cardDigits } from "./payment-card.js";

/** A redaction marker: the kind found and 16 hex digits of a keyed digest of the value. */
export const REDACTION_MARKER = /\[REDACTED:[a-z_]+:[0-9a-f]{16}\]/g;

/** Domain separation: the binding key also keys argument digests (HMAC over canonical JSON). */
const DOMAIN = "arbiter-redaction/v1\u0000";

/**
 * The marker of one found value. HMAC-SHA256 keyed with the data directory's binding key, not a
 * plain hash: a card number or a short token has few enough possible values that a plain digest
 * published in a leaf could be reversed by trying them all. A card's digits are digested without
 * separators, so "4111 1111 1111 1111" and "4111111111111111" correlate.
 */
export function redactionMarker(key: Buffer, kind: FoundKind, value: string): string {
  const canonical = kind === "payment_card" ? cardDigits(value) : value;
  const mac = createHmac("sha256", key).update(`${DOMAIN}${kind}\u0000${canonical}`).digest("hex");
  return `[REDACTED:${kind}:${mac.slice(0, 16)}]`;
}

/**
 * A digest or id in text form, wherever it stands, is never read by the detectors: `sha256:` and
 * `hmac-sha256:` digests, UUIDs, and lowercase hex of 32 digits or more with a letter (a git
 * revision, a digest without prefix).
 */
const DIGEST = /^(?:sha256|hmac-sha256):[0-9a-f]{64}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^(?=[0-9]*[a-f])[0-9a-f]{32,}$/;

/**
 * `text` with each value the detectors find replaced by its marker (e-mail addresses only when
 * `emails`); the same string when nothing is found. Markers already in the text are left as they
 * are, so redacting twice changes nothing; a digest or UUID (DIGEST) is returned whole. E-mail addresses are looked for last, in the text with
 * the other finds replaced: RFC 5322 lets a local part hold most of a URL's query
 * (`x?token=…&to=bob@example.com`), and a marker's brackets end it.
 */
export function redactText(text: string, key: Buffer, emails: boolean): string {
  // Nothing a detector finds is shorter than 6 characters; nothing DIGEST matches is shorter than 32.
  if (text.length < 6 || (text.length >= 32 && DIGEST.test(text))) return text;
  const out = replaceFound(text, findValues(text, { emails: false }), key);
  return emails ? replaceFound(out, findValues(out, { emails: true, others: false }), key) : out;
}

function replaceFound(text: string, found: readonly Found[], key: Buffer): string {
  if (found.length === 0) return text;
  const kept = text.includes("[REDACTED:") ? [...text.matchAll(REDACTION_MARKER)].map((m) => [m.index, m.index + m[0].length] as const) : [];
  let out = "";
  let at = 0;
  for (const f of found) {
    if (kept.some(([start, end]) => f.start >= start && f.end <= end)) continue;
    out += text.slice(at, f.start) + redactionMarker(key, f.kind, text.slice(f.start, f.end));
    at = f.end;
  }
  return at === 0 ? text : out + text.slice(at);
}

/** How a field is read: skipped (structural), scanned without the e-mail detector (who), or scanned by every detector. */
type Mode = "skip" | "identity" | "free";

/**
 * Fields Arbiter writes itself or the schema constrains to a form no detector should read: record
 * and decision ids, digests and commitments, W3C trace ids, timestamps, policy versions. A card
 * detector run over a hex digest or a UUID would find Luhn-valid digit runs in some of them.
 */
const STRUCTURAL: ReadonlySet<string> = new Set([
  "v", "kind", "time", "commitments", "args_digest", "diff_hash", "justification_commitment", "trace_id", "span_id",
  "decision_id", "parent_decision_id", "grant_id", "session_id", "run_id", "approval_request_id",
  "expires_at", "issued_at", "decided_at", "reset_at", "original_time", "set_version", "from_version", "to_version",
  "policy_set_version", "determining", "detectors",
]);

/** Who acts, owns, approves or is acted for: identity ids and owners are e-mail addresses by design. */
const IDENTITY: ReadonlySet<string> = new Set(["subject", "identity", "actor", "caller", "requester", "delegation", "approver", "owner", "on_behalf_of"]);

/** Sections whose shape the schema leaves open (JSON objects a caller fills): every key and string is scanned. */
const OPEN: ReadonlySet<string> = new Set(["attributes", "evidence", "evaluated"]);

function childMode(parent: Mode, key: string, parentKey: string | undefined, top: boolean, open: boolean): Mode {
  if (!open) {
    if (top && key === "id") return "skip";
    if (STRUCTURAL.has(key)) return "skip";
    // request_id is Arbiter's approval request id everywhere but in correlation, where a PEP sends its own.
    if (key === "request_id" && parentKey !== "correlation") return "skip";
    if (key === "id" && parentKey === "grant") return "skip";
  }
  return IDENTITY.has(key) ? "identity" : parent;
}

interface Walk {
  key: Buffer;
  count: number;
}

function redactString(text: string, mode: Mode, walk: Walk): string {
  const out = redactText(text, walk.key, mode === "free");
  if (out !== text) walk.count++;
  return out;
}

function redactValue(value: unknown, mode: Mode, parentKey: string | undefined, top: boolean, open: boolean, walk: Walk): unknown {
  if (mode === "skip") return value;
  if (typeof value === "string") return redactString(value, mode, walk);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const out = redactValue(item, mode, parentKey, false, open, walk);
      if (out !== item) (copy ??= value.slice())[i] = out;
    }
    return copy ?? value;
  }
  if (value === null || typeof value !== "object") return value;
  let copy: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const key of Object.keys(source)) {
    const member = source[key];
    const isOpen = open || (top && OPEN.has(key));
    const out = redactValue(member, childMode(mode, key, parentKey, top, open), key, false, isOpen, walk);
    const newKey = open ? redactString(key, mode, walk) : key;
    if (out !== member || newKey !== key) {
      copy ??= { ...source };
      if (newKey !== key) delete copy[key];
      // defineProperty: an assignment to "__proto__" would set the prototype instead of the member.
      Object.defineProperty(copy, newKey, { value: out, enumerable: true, writable: true, configurable: true });
    }
  }
  return copy ?? value;
}

/**
 * `record` with every detected value in its free-text fields replaced by a marker (see
 * redactText), and how many fields changed. Returns the same object when nothing was found, and
 * never changes `record` or anything it shares: a changed field is copied along its path.
 */
export function redactRecord<T extends object>(record: T, key: Buffer): { record: T; count: number } {
  const walk: Walk = { key, count: 0 };
  const out = redactValue(record, "free", undefined, true, false, walk) as T;
  return { record: out, count: walk.count };
}
