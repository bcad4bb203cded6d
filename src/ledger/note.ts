// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys in the golang.org/x/mod/sumdb/note text forms.
import { createPrivateKey, createPublicKey, hash, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { ArbiterError } from "../record/errors.js";

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface OpenedNote {
  text: string;
  signatures: { name: string; keyId: number; verified: boolean }[];
}

/** Notes (and texts to sign) larger than this are rejected before any parsing. */
export const MAX_NOTE_BYTES = 1024 * 1024;
// signed-note "Signatures": verifiers SHOULD bound the number of signatures and MUST accept 16;
// x/mod's note.Open allows 100.
const MAX_SIGNATURES = 100;
// Key strings are short (name + 8 hex + 44 base64); this only bounds work on hostile input.
const MAX_KEY_TEXT = 4096;

// signed-note "Signature types": 0x01 is Ed25519.
const ALG_ED25519 = 0x01;
const ED25519_KEY_BYTES = 32;
const ED25519_SIGNATURE_BYTES = 64;
// DER wrappers that turn a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI for node:crypto.
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const SKEY_PREFIX = "PRIVATE+KEY+";
// signed-note "Format": each signature line is em dash (U+2014), space, key name, space, base64, newline.
const SIGNATURE_LINE_PREFIX = "\u2014 ";

function noteInvalid(message: string, details: Record<string, unknown> = {}): ArbiterError {
  return new ArbiterError("NOTE_INVALID", message, details);
}

const BASE64_STD = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes RFC 4648 §4 standard base64 (padded), or returns undefined. Only the canonical encoding is
 * accepted (no whitespace, zero trailing bits), so every value has exactly one text form.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64_STD.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? bytes : undefined;
}

/** True when text has an ASCII control character (below U+0020), other than newline when allowed. */
function hasControlCharacter(text: string, newlineAllowed: boolean): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && !(newlineAllowed && code === 0x0a)) return true;
  }
  return false;
}

/** True when text has a lone UTF-16 surrogate, i.e. it cannot be encoded as UTF-8. */
function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

/**
 * signed-note "Format": key names are non-empty, contain no Unicode spaces and no '+'. Control
 * characters are refused too, since a note containing them is malformed anyway.
 */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    !name.includes("+") &&
    !/\p{White_Space}/u.test(name) &&
    !hasControlCharacter(name, false) &&
    !hasLoneSurrogate(name)
  );
}

/** signed-note "Ed25519 signatures": key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian. */
function keyIdOf(name: string, publicKey: Uint8Array): number {
  const input = Buffer.concat([Buffer.from(name, "utf8"), Buffer.from([0x0a, ALG_ED25519]), publicKey]);
  return hash("sha256", input, "buffer").readUInt32BE(0);
}

function hex8(keyId: number): string {
  return keyId.toString(16).padStart(8, "0");
}

function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
}

function rawPublicKey(key: KeyObject): Buffer {
  return createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-ED25519_KEY_BYTES);
}

/** An encoded key pair for name from a 32-byte Ed25519 seed: skey "PRIVATE+KEY+name+hex8+base64(0x01||seed)", vkey "name+hex8+base64(0x01||pub)". */
export function keyPairFromSeed(name: string, seed: Uint8Array): { skey: string; vkey: string } {
  if (!isValidKeyName(name)) throw noteInvalid("invalid key name", { name });
  if (seed.length !== ED25519_KEY_BYTES) throw noteInvalid("an Ed25519 seed is 32 bytes", { length: seed.length });
  const publicKey = rawPublicKey(privateKeyFromSeed(seed));
  const id = hex8(keyIdOf(name, publicKey));
  const encode = (key: Uint8Array): string => Buffer.concat([Buffer.from([ALG_ED25519]), key]).toString("base64");
  return { skey: `${SKEY_PREFIX}${name}+${id}+${encode(seed)}`, vkey: `${name}+${id}+${encode(publicKey)}` };
}

/** A fresh random Ed25519 key pair for name (see keyPairFromSeed for the formats). */
export function generateKeyPair(name: string): { skey: string; vkey: string } {
  return keyPairFromSeed(name, randomBytes(ED25519_KEY_BYTES));
}

/** Splits "name+hex8+base64" (base64 may itself contain '+'), checks name, id and the 0x01 algorithm byte. */
function parseKeyText(text: string, kind: string): { name: string; keyId: number; key: Buffer } {
  const firstPlus = text.indexOf("+");
  const secondPlus = firstPlus < 0 ? -1 : text.indexOf("+", firstPlus + 1);
  if (secondPlus < 0) throw noteInvalid(`malformed ${kind}`);
  const name = text.slice(0, firstPlus);
  const id = text.slice(firstPlus + 1, secondPlus);
  const key = decodeBase64Strict(text.slice(secondPlus + 1));
  if (!isValidKeyName(name)) throw noteInvalid(`malformed ${kind}: invalid key name`);
  // x/mod accepts any 8 hex digits here; the value is checked against the key below anyway.
  if (!/^[0-9a-fA-F]{8}$/.test(id)) throw noteInvalid(`malformed ${kind}: key id is not 8 hex digits`, { name });
  if (key === undefined || key.length === 0) throw noteInvalid(`malformed ${kind}: bad base64 key`, { name });
  if (key[0] !== ALG_ED25519) throw noteInvalid(`${kind} uses an unknown algorithm`, { name, algorithm: key[0] });
  if (key.length !== 1 + ED25519_KEY_BYTES) throw noteInvalid(`malformed ${kind}: wrong key length`, { name });
  return { name, keyId: Number.parseInt(id, 16), key: key.subarray(1) };
}

function requireKeyText(text: string, kind: string): void {
  if (typeof text !== "string" || text.length > MAX_KEY_TEXT) throw noteInvalid(`malformed ${kind}`);
}

/** A signer from an encoded signer key; checks name rules, algorithm byte 0x01, lengths and that the key id matches. */
export function signerFromSkey(skey: string): NoteSigner {
  requireKeyText(skey, "signer key");
  if (!skey.startsWith(SKEY_PREFIX)) throw noteInvalid("malformed signer key: missing PRIVATE+KEY+ prefix");
  const { name, keyId, key: seed } = parseKeyText(skey.slice(SKEY_PREFIX.length), "signer key");
  const privateKey = privateKeyFromSeed(seed);
  // The id names the public key, so it can only be checked after deriving it (as x/mod does).
  if (keyIdOf(name, rawPublicKey(privateKey)) !== keyId) {
    throw noteInvalid("signer key id does not match its key", { name, keyId: hex8(keyId) });
  }
  return Object.freeze({
    name,
    keyId,
    sign: (message: Uint8Array): Buffer => sign(null, message, privateKey),
  });
}

/** A verifier from an encoded verifier key "name+hex8+base64(0x01||pub32)". */
export function verifierFromVkey(vkey: string): NoteVerifier {
  requireKeyText(vkey, "verifier key");
  const { name, keyId, key } = parseKeyText(vkey, "verifier key");
  if (keyIdOf(name, key) !== keyId) throw noteInvalid("verifier key id does not match its key", { name });
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, key]), format: "der", type: "spki" });
  } catch {
    throw noteInvalid("verifier key is not an Ed25519 public key", { name });
  }
  return Object.freeze({
    name,
    keyId,
    verify: (message: Uint8Array, signature: Uint8Array): boolean => {
      if (signature.length !== ED25519_SIGNATURE_BYTES) return false;
      try {
        return verify(null, message, publicKey, signature);
      } catch {
        return false;
      }
    },
  });
}

/** signed-note "Format": valid UTF-8, no ASCII control characters other than newline, at most MAX_NOTE_BYTES. Throws NOTE_INVALID. */
export function requireNoteCharacters(text: string, what: string): void {
  if (text.length > MAX_NOTE_BYTES || Buffer.byteLength(text, "utf8") > MAX_NOTE_BYTES) {
    throw noteInvalid(`${what} is larger than ${MAX_NOTE_BYTES} bytes`);
  }
  if (hasLoneSurrogate(text)) throw noteInvalid(`${what} is not valid UTF-8`);
  if (hasControlCharacter(text, true)) throw noteInvalid(`${what} contains a control character`);
}

/**
 * Signs text (which must end in "\n" and follow the note character rules) with each signer and
 * returns text + "\n" + one "— name base64(keyid4||signature)\n" line per signer. Requires a signer.
 */
export function signNote(text: string, ...signers: NoteSigner[]): string {
  if (typeof text !== "string" || !text.endsWith("\n")) throw noteInvalid("note text must end with a newline");
  requireNoteCharacters(text, "note text");
  if (signers.length === 0) throw noteInvalid("a note needs at least one signer");
  const message = Buffer.from(text, "utf8");
  const lines = signers.map((signer) => {
    if (!isValidKeyName(signer.name)) throw noteInvalid("invalid signer name", { name: signer.name });
    if (!Number.isInteger(signer.keyId) || signer.keyId < 0 || signer.keyId > 0xffffffff) {
      throw noteInvalid("signer key id is not a uint32", { name: signer.name });
    }
    const id = Buffer.alloc(4);
    id.writeUInt32BE(signer.keyId);
    const signature = Buffer.concat([id, signer.sign(message)]).toString("base64");
    return `${SIGNATURE_LINE_PREFIX}${signer.name} ${signature}\n`;
  });
  return `${text}\n${lines.join("")}`;
}

/** A verifier that throws is treated as a failed verification, so openNote only ever throws ArbiterError. */
function verifiesSafely(verifier: NoteVerifier, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verifier.verify(message, signature) === true;
  } catch {
    return false;
  }
}

function decodeNote(note: string | Uint8Array): string {
  if (typeof note === "string") return note;
  if (!(note instanceof Uint8Array)) throw noteInvalid("a note must be text");
  if (note.length > MAX_NOTE_BYTES) throw noteInvalid(`note is larger than ${MAX_NOTE_BYTES} bytes`);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(note);
  } catch {
    throw noteInvalid("note is not valid UTF-8");
  }
}

/**
 * Splits and verifies a signed note (signed-note "Format" and "Signatures"). Requires at least one
 * signature by one of the verifiers, else NOTE_INVALID. Rejects malformed notes (missing blank line,
 * bad base64, signature lines without the em dash, input over 1 MiB, non-UTF-8) and notes where a
 * known key's signature fails. Unknown signers are listed as unverified, not an error, as in x/mod's
 * note.Open. Byte input is decoded as strict UTF-8.
 */
export function openNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const whole = decodeNote(note);
  requireNoteCharacters(whole, "note");
  // The text is separated from the signatures by the last empty line; it keeps its final newline.
  const split = whole.lastIndexOf("\n\n");
  if (split < 0) throw noteInvalid("note has no blank line before its signatures");
  const text = whole.slice(0, split + 1);
  const block = whole.slice(split + 2);
  if (block.length === 0 || !block.endsWith("\n")) throw noteInvalid("note signatures must end with a newline");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw noteInvalid(`note has more than ${MAX_SIGNATURES} signatures`);

  const message = Buffer.from(text, "utf8");
  const signatures: OpenedNote["signatures"] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_LINE_PREFIX)) throw noteInvalid("signature line does not start with an em dash");
    const rest = line.slice(SIGNATURE_LINE_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const encoded = space < 0 ? "" : rest.slice(space + 1);
    const signature = decodeBase64Strict(encoded);
    if (!isValidKeyName(name) || signature === undefined || signature.length < 5) {
      throw noteInvalid("malformed signature line", { name });
    }
    const keyId = signature.readUInt32BE(0);
    const matching = verifiers.filter((v) => v.name === name && v.keyId === keyId);
    if (matching.length > 1) throw noteInvalid("more than one verifier has this name and key id", { name });
    const verifier = matching[0];
    // Repeats of one key's signature (or of one unknown line) are listed once, as x/mod does.
    const key = verifier === undefined ? `?${line}` : `${name}+${hex8(keyId)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (verifier !== undefined && !verifiesSafely(verifier, message, signature.subarray(4))) {
      throw noteInvalid("signature by a known key does not verify", { name, keyId: hex8(keyId) });
    }
    signatures.push({ name, keyId, verified: verifier !== undefined });
  }
  if (!signatures.some((s) => s.verified)) {
    throw noteInvalid("note is not signed by a known key", {
      signers: signatures.map((s) => `${s.name}+${hex8(s.keyId)}`),
    });
  }
  return { text, signatures };
}
