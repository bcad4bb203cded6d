// C2SP signed-note verification with a published verifier key, in the browser with WebCrypto Ed25519.
import { concat, decodeBase64, sha256, utf8 } from "./bytes.js";

export interface VerifierKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

// signed-note "Signature types": 0x01 is Ed25519; the key ID is SHA-256(name || 0x0A || 0x01 || key)[:4].
const ALG_ED25519 = 0x01;
// signed-note "Format": signature lines start with an em dash and a space.
const SIGNATURE_PREFIX = "\u2014 ";
const MAX_KEY_TEXT = 4096;

/** Parses "name+hex8+base64(0x01 || key)" and checks its key ID; returns a reason when it is not a verifier key. */
export async function parseVerifierKey(text: string): Promise<VerifierKey | string> {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_KEY_TEXT) return "the verifier key is empty or too long";
  const [name = "", hex = "", ...rest] = trimmed.split("+");
  const key = decodeBase64(rest.join("+"));
  if (name.length === 0 || /\s/u.test(name)) return "the verifier key has no valid name";
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return "the verifier key's ID is not 8 hex digits";
  if (!key || key.length !== 33 || key[0] !== ALG_ED25519) return "the verifier key is not an Ed25519 key";
  const publicKey = key.subarray(1);
  const keyId = (await sha256(concat(utf8(name), new Uint8Array([0x0a, ALG_ED25519]), publicKey))).subarray(0, 4);
  const stated = new Uint8Array(hex.match(/../g)?.map((pair) => Number.parseInt(pair, 16)) ?? []);
  if (!keyId.every((byte, i) => byte === stated[i])) return "the verifier key's ID does not match its key";
  return { name, keyId, publicKey };
}

/**
 * Opens a signed note with one verifier: the text (up to and including its last newline before the
 * blank line) when a signature line of that key verifies, else a reason. Other signers are ignored.
 */
export async function openNote(note: string, key: VerifierKey): Promise<{ text: string } | { reason: string }> {
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) return { reason: "the checkpoint is not a signed note" };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split("\n");
  const publicKey = await crypto.subtle.importKey("raw", concat(key.publicKey), { name: "Ed25519" }, false, ["verify"]);
  let named = false;
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return { reason: "a signature line is malformed" };
    const [name, encoded = ""] = line.slice(SIGNATURE_PREFIX.length).split(" ");
    if (name !== key.name) continue;
    const signature = decodeBase64(encoded);
    if (!signature || signature.length !== 4 + 64) return { reason: "the signature is malformed" };
    if (!signature.subarray(0, 4).every((byte, i) => byte === key.keyId[i])) continue;
    named = true;
    if (await crypto.subtle.verify({ name: "Ed25519" }, publicKey, concat(signature.subarray(4)), concat(utf8(text)))) return { text };
  }
  return { reason: named ? "the checkpoint signature does not verify with the verifier key" : `the checkpoint carries no signature by ${key.name}` };
}
