// What ties an approval or grant to one exact call: caller, action, resource and a keyed digest of the arguments.
import { createHmac } from "node:crypto";
import { canonicalBytes } from "../record/index.js";

export type { CallBinding } from "../store/index.js";

/**
 * HMAC-SHA256 of the RFC 8785 form of the arguments. Keyed, because the digest is published in
 * leaves and a plain hash of a short argument ("yes", an account number) can be reversed by guessing.
 */
export function argsDigest(key: Buffer, args: unknown): string {
  const mac = createHmac("sha256", key).update(canonicalBytes(args === undefined ? null : args)).digest("hex");
  return `hmac-sha256:${mac}`;
}
