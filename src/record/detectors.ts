// The value detectors a mask obligation can name (e-mail addresses, payment cards, national ids, secrets); records use them too, to keep such values out of leaves.
import { maskPaymentCards } from "./payment-card.js";

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

const SECRETS: readonly RegExp[] = [
  // PEM private keys (RFC 7468 labels ending in PRIVATE KEY); an unterminated block is masked to the end.
  /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:[\s\S]*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|[\s\S]*$)/g,
  // JWTs (RFC 7519 compact JWS): base64url JSON header and payload, both starting with '{"'.
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
  // AWS access key ids: long-term (AKIA) and temporary (ASIA).
  /(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])/g,
  // GitHub tokens: classic personal, OAuth, user-to-server, server-to-server, refresh; fine-grained personal.
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/g,
  // Slack tokens: bot, user, app-level, config and refresh.
  /(?<![A-Za-z0-9])xox[abposre]-[A-Za-z0-9-]{10,}/g,
  // Stripe live secret and restricted keys.
  /(?<![A-Za-z0-9_])[rs]k_live_[A-Za-z0-9]{16,}/g,
  // Google API keys.
  /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g,
  // Arbiter's own API keys: arb_<16 hex>_<base64url secret>.
  /(?<![A-Za-z0-9_])arb_[0-9a-f]{16}_[A-Za-z0-9_-]{16,}/g,
];

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
