// Salted commitments: a leaf proves a sensitive value existed without holding it, so the value stays erasable.
import { hash, timingSafeEqual } from "node:crypto";
import { canonicalBytes } from "./canonical.js";
import { fillRandom } from "./entropy.js";
import { ArbiterError } from "./errors.js";

/** Commitment text form; docs/record.md gives the formula so an auditor can recompute it. */
export const COMMITMENT_PATTERN = /^sha256:[0-9a-f]{64}$/;
/** Fresh salts are 256 bits; under 128 bits a guessed value could be confirmed by searching every salt. */
const SALT_BYTES = 32;
const MIN_SALT_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export interface Commitment {
  /** "sha256:" + hex(SHA-256(salt ‖ RFC 8785 bytes of the value)) */
  commitment: string;
  /** The salt, base64url without padding (RFC 4648 §5). */
  salt: string;
}

/**
 * Commits to a JSON value. Without `salt` (base64url) a fresh 32-byte salt is drawn. Throws
 * INVALID_COMMITMENT for a salt under 16 bytes and INVALID_JSON for a value that is not I-JSON.
 */
export function commitValue(value: unknown, salt?: string): Commitment {
  const saltBytes = salt === undefined ? freshSalt() : decodeSalt(salt);
  if (saltBytes === undefined) {
    throw new ArbiterError("INVALID_COMMITMENT", "salt must be unpadded base64url");
  }
  if (saltBytes.length < MIN_SALT_BYTES) {
    throw new ArbiterError(
      "INVALID_COMMITMENT",
      `salt must be at least ${MIN_SALT_BYTES} bytes (got ${saltBytes.length})`,
    );
  }
  return {
    commitment: "sha256:" + hash("sha256", Buffer.concat([saltBytes, canonicalBytes(value)]), "hex"),
    salt: saltBytes.toString("base64url"),
  };
}

/**
 * True when `commitment` commits to `value` under `salt`. Malformed input, a short salt or a value
 * that is not I-JSON yield false rather than an error: a verifier treats every input as hostile.
 */
export function verifyCommitment(commitment: string, salt: string, value: unknown): boolean {
  if (!COMMITMENT_PATTERN.test(commitment)) return false;
  const saltBytes = decodeSalt(salt);
  if (saltBytes === undefined || saltBytes.length < MIN_SALT_BYTES) return false;
  let valueBytes: Buffer;
  try {
    valueBytes = canonicalBytes(value);
  } catch {
    return false;
  }
  const expected = hash("sha256", Buffer.concat([saltBytes, valueBytes]), "buffer");
  return timingSafeEqual(expected, Buffer.from(commitment.slice("sha256:".length), "hex"));
}

function freshSalt(): Buffer {
  const salt = Buffer.allocUnsafe(SALT_BYTES);
  fillRandom(salt);
  return salt;
}

// Buffer.from(s, "base64url") skips characters it does not know, so the alphabet is checked first,
// and the round trip rejects a final character with stray low bits (two texts for one salt).
function decodeSalt(salt: string): Buffer | undefined {
  if (!BASE64URL.test(salt) || salt.length % 4 === 1) return undefined;
  const bytes = Buffer.from(salt, "base64url");
  return bytes.toString("base64url") === salt ? bytes : undefined;
}
