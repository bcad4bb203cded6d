// The Ed25519 key that signs access tokens: `token.key` in the data directory (0600), created on first use.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { existsSync, linkSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ArbiterError } from "../record/errors.js";
import { readSecretFile, writeSecretFile } from "../store/index.js";

export const TOKEN_KEY_FILE = "token.key";

/** A public key as published in a JWK Set (RFC 7517 §5) for verifiers of Arbiter's tokens. */
export interface PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg: "EdDSA";
  use: "sig";
}

export interface TokenKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: PublicJwk;
}

/**
 * RFC 7638 §3.2: the SHA-256 of the required members in lexicographic order, without spaces.
 * Written out because jose's calculateJwkThumbprint is async and jwks() is not.
 */
function thumbprint(x: string): string {
  const members = `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`;
  return createHash("sha256").update(members).digest("base64url");
}

function fromPem(path: string, pem: string): TokenKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is not a private key: ${err instanceof Error ? err.message : String(err)}`, { path });
  }
  if (privateKey.asymmetricKeyType !== "ed25519") {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} holds a ${privateKey.asymmetricKeyType ?? "unknown"} key, expected Ed25519`, { path });
  }
  const publicKey = createPublicKey(privateKey);
  const x = publicKey.export({ format: "jwk" }).x as string;
  return { privateKey, publicKey, jwk: { kty: "OKP", crv: "Ed25519", x, kid: thumbprint(x), alg: "EdDSA", use: "sig" } };
}

/** The data directory's token key, or undefined while none was created. */
export function loadTokenKey(dataDir: string): TokenKey | undefined {
  const path = join(dataDir, TOKEN_KEY_FILE);
  return existsSync(path) ? fromPem(path, readSecretFile(path)) : undefined;
}

/** The data directory's token key, created (0600) if there is none yet. */
export function ensureTokenKey(dataDir: string): TokenKey {
  const path = join(dataDir, TOKEN_KEY_FILE);
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync("ed25519");
    // Written aside and linked into place, so a process racing us never reads a half-written key.
    const draft = `${path}.${process.pid}.${Date.now()}`;
    writeSecretFile(draft, privateKey.export({ type: "pkcs8", format: "pem" }).toString());
    try {
      linkSync(draft, path);
    } catch (err) {
      // Another process created it first: theirs is the key, read it below.
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      rmSync(draft, { force: true });
    }
  }
  return fromPem(path, readSecretFile(path));
}
