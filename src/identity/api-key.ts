// API keys: `arb_<prefix>_<secret>`, shown once, stored as the SHA-256 of the secret.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 8 random bytes in hex: the lookup handle, so authentication is one primary-key read. */
const PREFIX_PATTERN = /^[0-9a-f]{16}$/;
/** 32 random bytes, base64url without padding. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const KEY_PREFIX = "arb_";

export interface ParsedApiKey {
  credentialId: string;
  secret: string;
}

export interface NewApiKey {
  key: string;
  credentialId: string;
  secretHash: Buffer;
}

export function credentialIdOf(prefix: string): string {
  return `key_${prefix}`;
}

export function newApiKey(): NewApiKey {
  const prefix = randomBytes(8).toString("hex");
  const secret = randomBytes(32).toString("base64url");
  return { key: `${KEY_PREFIX}${prefix}_${secret}`, credentialId: credentialIdOf(prefix), secretHash: hashSecret(secret) };
}

export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(KEY_PREFIX);
}

/** The credential id and secret of a well-formed key, else undefined. */
export function parseApiKey(credential: string): ParsedApiKey | undefined {
  if (!credential.startsWith(KEY_PREFIX)) return undefined;
  // The prefix is hex and the secret base64url (which may itself contain "_"), so the first "_" after arb_ splits them.
  const split = credential.indexOf("_", KEY_PREFIX.length);
  if (split === -1) return undefined;
  const prefix = credential.slice(KEY_PREFIX.length, split);
  const secret = credential.slice(split + 1);
  if (!PREFIX_PATTERN.test(prefix) || !SECRET_PATTERN.test(secret)) return undefined;
  return { credentialId: credentialIdOf(prefix), secret };
}

/**
 * A plain SHA-256 is enough: the secret is 256 random bits, so no dictionary or brute force can
 * reach it and a slow password hash (scrypt, argon2) would only add milliseconds to every request.
 */
export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** Constant-time comparison, so response timing tells nothing about how much of a hash matched. */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const hash = hashSecret(secret);
  return storedHash.length === hash.length && timingSafeEqual(hash, storedHash);
}
