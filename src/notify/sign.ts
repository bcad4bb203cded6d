// Signing a webhook body so the receiver can tell it came from this Arbiter, unchanged and recently.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-arbiter-signature-256";
export const TIMESTAMP_HEADER = "x-arbiter-timestamp";

/**
 * HMAC-SHA256 over `timestamp.body` (the timestamp in Unix seconds, as Slack and Stripe sign), so a
 * receiver that checks the timestamp's age also refuses a captured body replayed later. Written
 * `sha256=HEX` like GitHub's X-Hub-Signature-256.
 */
export function signBody(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** What a receiver does: recompute and compare in constant time. */
export function verifySignature(secret: string, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signBody(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
