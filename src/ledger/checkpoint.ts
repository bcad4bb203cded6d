// C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the signed note naming a log's origin, tree size and root.
import { ArbiterError, type ErrorCode } from "../record/errors.js";
import { requireTreeCount } from "./merkle/compact.js";
import { HASH_SIZE, isHash, type Hash } from "./merkle/hash.js";
import {
  decodeBase64Strict,
  openNote,
  requireNoteCharacters,
  signNote,
  type NoteSigner,
  type NoteVerifier,
} from "./note.js";

export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  extensions: string[];
}

function noteInvalid(message: string, details: Record<string, unknown> = {}): ArbiterError {
  return new ArbiterError("NOTE_INVALID", message, details);
}

/**
 * Parses an ASCII decimal count with no leading zeroes (unless it is "0"), as tlog-checkpoint and
 * tlog-proof require. Malformed text throws `code`; values above 2^53-1 throw INDEX_OUT_OF_RANGE.
 */
export function parseDecimalCount(text: string, name: string, code: ErrorCode): number {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text)) {
    throw new ArbiterError(code, `${name} is not a decimal number without leading zeroes`, {
      [name]: text.slice(0, 32),
    });
  }
  const value = Number(text);
  if (text.length > 16 || !Number.isSafeInteger(value)) {
    throw new ArbiterError("INDEX_OUT_OF_RANGE", `${name} is larger than 2^53-1`, { [name]: text.slice(0, 32) });
  }
  return value;
}

/** A line of note text: non-empty, no newline, note character rules (tlog-checkpoint "Note text"). */
function requireLine(value: string, what: string): void {
  if (typeof value !== "string" || value.length === 0 || value.includes("\n")) {
    throw noteInvalid(`checkpoint ${what} must be a non-empty single line`);
  }
  requireNoteCharacters(value, `checkpoint ${what}`);
}

/** "origin\nsize\nbase64(root)\n" followed by one line per extension (tlog-checkpoint "Note text"). */
export function formatCheckpoint(cp: Checkpoint): string {
  requireLine(cp.origin, "origin");
  requireTreeCount(cp.size, "size");
  if (!isHash(cp.root)) throw noteInvalid(`checkpoint root must be ${HASH_SIZE} bytes`);
  cp.extensions.forEach((extension) => requireLine(extension, "extension line"));
  const body = `${cp.origin}\n${cp.size}\n${Buffer.from(cp.root).toString("base64")}\n`;
  return body + cp.extensions.map((extension) => `${extension}\n`).join("");
}

/**
 * Parses checkpoint note text strictly: at least three lines, non-empty origin, decimal size without
 * leading zeroes, a 32-byte root in canonical standard base64, non-empty extension lines, final newline.
 * formatCheckpoint(parseCheckpoint(t)) === t for every accepted t.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== "string") throw noteInvalid("checkpoint must be text");
  requireNoteCharacters(text, "checkpoint");
  if (!text.endsWith("\n")) throw noteInvalid("checkpoint must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  const [origin, size, root, ...extensions] = lines;
  if (origin === undefined || size === undefined || root === undefined) {
    throw noteInvalid("checkpoint needs origin, size and root lines");
  }
  if (origin.length === 0) throw noteInvalid("checkpoint origin is empty");
  const rootBytes = decodeBase64Strict(root);
  if (rootBytes === undefined || rootBytes.length !== HASH_SIZE) {
    throw noteInvalid(`checkpoint root is not ${HASH_SIZE} bytes of standard base64`, { origin });
  }
  if (extensions.some((line) => line.length === 0)) throw noteInvalid("checkpoint has an empty extension line", { origin });
  return { origin, size: parseDecimalCount(size, "size", "NOTE_INVALID"), root: rootBytes, extensions };
}

/** The checkpoint as a C2SP signed note, signed by signer (whose name SHOULD equal the origin). */
export function signCheckpoint(cp: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(cp), signer);
}

/**
 * Opens a signed checkpoint: requires a valid signature by verifier (other signers, such as witness
 * cosignatures, are ignored) and an origin equal to expectedOrigin, or to the verifier's name when
 * not given (tlog-checkpoint "Signatures": the key name SHOULD match the origin). Throws NOTE_INVALID.
 */
export function openCheckpoint(signedNote: string, verifier: NoteVerifier, expectedOrigin?: string): Checkpoint {
  const opened = openNote(signedNote, [verifier]);
  const cp = parseCheckpoint(opened.text);
  const origin = expectedOrigin ?? verifier.name;
  if (cp.origin !== origin) {
    throw noteInvalid("checkpoint is for another log", { origin: cp.origin, expectedOrigin: origin });
  }
  return cp;
}
