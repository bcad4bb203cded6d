// What ties an approval or grant to one exact call: caller, action, resource and a keyed digest of the arguments.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { canonicalBytes } from "../record/index.js";
import { readSecretFile, writeSecretFile } from "../store/index.js";

export const BINDING_KEY_FILE = "binding.key";

export interface CallBinding {
  subjectId: string;
  action: string;
  resourceType: string;
  resourceId: string;
  argsDigest: string;
}

/** The data directory's secret for argument digests, created (0600) on first use. */
export function loadBindingKey(dataDir: string): Buffer {
  const path = join(dataDir, BINDING_KEY_FILE);
  if (!existsSync(path)) writeSecretFile(path, `${randomBytes(32).toString("base64url")}\n`);
  return Buffer.from(readSecretFile(path), "base64url");
}

/**
 * HMAC-SHA256 of the RFC 8785 form of the arguments. Keyed, because the digest is published in
 * leaves and a plain hash of a short argument ("yes", an account number) can be reversed by guessing.
 */
export function argsDigest(key: Buffer, args: unknown): string {
  const mac = createHmac("sha256", key).update(canonicalBytes(args === undefined ? null : args)).digest("hex");
  return `hmac-sha256:${mac}`;
}
