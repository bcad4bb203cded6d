// The value detectors a mask obligation can name (e-mail addresses, payment cards, national ids, secrets); records use them too, to keep such values out of leaves.
import { maskPaymentCards, paymentCardSpans } from "./payment-card.js";

export const DETECTOR_NAMES = ["email", "payment_card", "national_id", "secret"] as const;
export type DetectorName = (typeof DETECTOR_NAMES)[number];

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

/** What replaces a detected value: fixed, so the model sees that something was there and what kind. */
export function markerOf(detector: string): string {
  return `[MASKED:${detector}]`;
}

// RFC 5322 dot-atom local part and a dotted host name with a letters-only top-level label.
const EMAIL = /(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9-])/g;

const NATIONAL_IDS: readonly RegExp[] = [
  // US Social Security number, dashed or spaced: area 000, 666 and 900-999, group 00 and serial 0000 are never issued (SSA).
  /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g,
  // UK National Insurance number (HMRC NIM39110): two prefix letters (D, F, I, Q, U, V never; O not second; BG, GB, KN, NK, NT, TN, ZZ not allocated), six digits, suffix A-D.
  /(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g,
];

/**
 * The secrets the `secret` detector finds, each with the name a ledger redaction marker gives it
 * (docs/record.md). Each pattern starts with a fixed prefix, which SECRET_PREFIX lists for a quick look.
 */
const SECRET_KINDS = [
  // PEM private keys (RFC 7468 labels ending in PRIVATE KEY); an unterminated block is masked to the end.
  ["private_key", /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[\s\S]*$)/g],
  // JWTs (RFC 7519 compact JWS): base64url JSON header and payload, both starting with '{"'.
  ["jwt", /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g],
  // AWS access key ids: long-term (AKIA) and temporary (ASIA).
  ["aws_access_key", /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g],
  // GitHub tokens: classic personal, OAuth, user-to-server, server-to-server, refresh; fine-grained personal.
  ["github_token", /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g],
  // Slack tokens: bot, user, app-level, config and refresh.
  ["slack_token", /(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}/g],
  // Stripe live secret and restricted keys.
  ["stripe_key", /(?<![A-Za-z0-9_])[rs]k_live_[A-Za-z0-9]{16,}/g],
  // Google API keys.
  ["google_api_key", /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g],
  // Arbiter's own API keys: arb_<16 hex>_<base64url secret>.
  ["arbiter_api_key", /(?<![A-Za-z0-9_])arb_[0-9a-f]{16}_[A-Za-z0-9_-]{16,}/g],
] as const satisfies readonly (readonly [string, RegExp])[];

const SECRET_PREFIX = /-----BEGIN|eyJ|AKIA|ASIA|gh[pousr]_|github_pat_|xox|k_live_|AIza|arb_/;
const SECRETS: readonly RegExp[] = SECRET_KINDS.map(([, pattern]) => pattern);

export type SecretKind = (typeof SECRET_KINDS)[number][0];

/** What a ledger redaction marker names: the detector, or for a secret, which kind of secret. */
export type FoundKind = Exclude<DetectorName, "secret"> | SecretKind;
export const FOUND_KINDS: readonly FoundKind[] = ["email", "payment_card", "national_id", ...SECRET_KINDS.map(([kind]) => kind)];

function replaceAll(text: string, patterns: readonly RegExp[], marker: string): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const pattern of patterns) {
    out = out.replace(pattern, () => {
      count++;
      return marker;
    });
  }
  return { text: out, count };
}

/** Masks every value `detector` finds in `text`; returns the new text and how many values were masked. */
export function detect(detector: DetectorName, text: string): { text: string; count: number } {
  const marker = markerOf(detector);
  switch (detector) {
    case "email":
      return replaceAll(text, [EMAIL], marker);
    case "payment_card":
      return maskPaymentCards(text, marker);
    case "national_id":
      return replaceAll(text, NATIONAL_IDS, marker);
    case "secret":
      return replaceAll(text, SECRETS, marker);
  }
}

/** The first detector that finds something in `text`, or undefined: a value that must not enter a leaf raw. */
export function sensitiveKind(text: string): DetectorName | undefined {
  for (const name of DETECTOR_NAMES) if (detect(name, text).count > 0) return name;
  return undefined;
}

/** A value a detector found: [start, end) in the text, and its kind. */
export interface Found {
  start: number;
  end: number;
  kind: FoundKind;
}

function digitCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

function pushMatches(text: string, pattern: RegExp, kind: FoundKind, out: Found[]): void {
  for (const m of text.matchAll(pattern)) out.push({ start: m.index, end: m.index + m[0].length, kind });
}

/**
 * Every value the detectors find in `text` (e-mail addresses only when `emails`; nothing else when
 * `others` is false), sorted, none
 * overlapping (finds that overlap are merged under the kind of the one that starts first, or
 * when both start together, secrets before cards before national ids before e-mail addresses). Cheap when there is nothing to find: each detector
 * runs only when the text holds what it needs (a secret's prefix, 13 digits for a card, 6 for a
 * national id, an @), and text with non-ASCII characters is always searched in full.
 */
export function findValues(text: string, options: { emails: boolean; others?: boolean }): Found[] {
  if (text.length < 6) return [];
  if (options.others === false) return options.emails && text.includes("@") ? [...text.matchAll(EMAIL)].map((m) => ({ start: m.index, end: m.index + m[0].length, kind: "email" })) : [];
  const ascii = !/[\u0080-\uffff]/.test(text);
  const digits = ascii ? digitCount(text) : Infinity;
  const found: Found[] = [];
  if (!ascii || SECRET_PREFIX.test(text)) for (const [kind, pattern] of SECRET_KINDS) pushMatches(text, pattern, kind, found);
  if (digits >= 13) for (const [start, end] of paymentCardSpans(text)) found.push({ start, end, kind: "payment_card" });
  if (digits >= 6) for (const pattern of NATIONAL_IDS) pushMatches(text, pattern, "national_id", found);
  if (options.emails && text.includes("@")) pushMatches(text, EMAIL, "email", found);
  if (found.length < 2) return found;
  found.sort((a, b) => a.start - b.start || priority(a.kind) - priority(b.kind) || b.end - a.end);
  const kept: Found[] = [];
  for (const f of found) {
    const last = kept[kept.length - 1];
    // Overlapping finds become one, so that no part of either is left out.
    if (last && f.start < last.end) last.end = Math.max(last.end, f.end);
    else kept.push(f);
  }
  return kept;
}

const priority = (kind: FoundKind): number => (kind === "email" ? 3 : kind === "national_id" ? 2 : kind === "payment_card" ? 1 : 0);
