// Text forms of proofs: c2sp.org/tlog-proof@v1 inclusion proofs and "old N" consistency proofs, each carrying a signed checkpoint.
import { ArbiterError } from "../record/errors.js";
import { openCheckpoint, parseDecimalCount, type Checkpoint } from "./checkpoint.js";
import { requireTreeCount } from "./merkle/compact.js";
import { HASH_SIZE, isHash, leafHash, type Hash } from "./merkle/hash.js";
import { verifyConsistency, verifyInclusion } from "./merkle/verify.js";
import { decodeBase64Strict, MAX_NOTE_BYTES, type NoteVerifier } from "./note.js";

// tlog-proof "Format": the first line names the format.
const TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1";
// A tree of at most 2^53-1 leaves has proofs of at most 54 hashes; anything longer is garbage.
const MAX_PROOF_HASHES = 64;

function proofInvalid(message: string, details: Record<string, unknown> = {}): ArbiterError {
  return new ArbiterError("PROOF_INVALID", message, details);
}

/** Hash lines (one base64 hash each), then the empty line, then the checkpoint note verbatim. */
function formatTail(proof: readonly Hash[], signedCheckpoint: string): string {
  proof.forEach((hash, i) => {
    if (!isHash(hash)) throw proofInvalid(`proof hash ${i} is not ${HASH_SIZE} bytes`, { position: i });
  });
  if (typeof signedCheckpoint !== "string" || signedCheckpoint.length === 0 || signedCheckpoint.startsWith("\n")) {
    throw new ArbiterError("NOTE_INVALID", "a proof needs a signed checkpoint");
  }
  return `${proof.map((hash) => `${Buffer.from(hash).toString("base64")}\n`).join("")}\n${signedCheckpoint}`;
}

/** A cursor over the lines of an untrusted proof text. */
class LineReader {
  #text: string;
  #pos = 0;

  constructor(text: unknown) {
    if (typeof text !== "string") throw proofInvalid("a proof must be text");
    if (text.length > MAX_NOTE_BYTES) throw proofInvalid(`proof is larger than ${MAX_NOTE_BYTES} bytes`);
    this.#text = text;
  }

  /** The next line without its newline; a line must end in "\n". */
  next(what: string): string {
    const end = this.#text.indexOf("\n", this.#pos);
    if (end < 0) throw proofInvalid(`proof text ends before its ${what}`);
    const line = this.#text.slice(this.#pos, end);
    this.#pos = end + 1;
    return line;
  }

  /** Hash lines up to and including the empty line that ends them (tlog-proof "Format"). */
  hashes(): Hash[] {
    const hashes: Hash[] = [];
    for (let line = this.next("hash lines"); line !== ""; line = this.next("blank line")) {
      const hash = decodeBase64Strict(line);
      if (hash === undefined || hash.length !== HASH_SIZE) {
        throw proofInvalid(`proof line ${hashes.length} is not a base64 ${HASH_SIZE}-byte hash`);
      }
      if (hashes.length === MAX_PROOF_HASHES) throw proofInvalid(`proof has more than ${MAX_PROOF_HASHES} hashes`);
      hashes.push(hash);
    }
    return hashes;
  }

  /** Everything left: the checkpoint note, included verbatim. */
  rest(): string {
    const rest = this.#text.slice(this.#pos);
    if (rest.length === 0) throw proofInvalid("proof has no checkpoint");
    return rest;
  }
}

/**
 * c2sp.org/tlog-proof@v1: "c2sp.org/tlog-proof@v1\n" [+ "extra base64\n"] + "index N\n" + one base64
 * hash per line (leaf sibling first) + "\n" + signed checkpoint.
 */
export function formatInclusionProof(
  index: number,
  proof: readonly Hash[],
  signedCheckpoint: string,
  extra?: Uint8Array,
): string {
  requireTreeCount(index, "index");
  const extraLine = extra === undefined ? "" : `extra ${Buffer.from(extra).toString("base64")}\n`;
  return `${TLOG_PROOF_HEADER}\n${extraLine}index ${index}\n${formatTail(proof, signedCheckpoint)}`;
}

/**
 * Parses a c2sp.org/tlog-proof@v1 text strictly. `extra` is the optional opaque extra data, which is
 * not authenticated (tlog-proof "Format"). Throws PROOF_INVALID (INDEX_OUT_OF_RANGE for an index above 2^53-1).
 */
export function parseInclusionProof(text: string): {
  index: number;
  proof: Hash[];
  checkpoint: string;
  extra?: Buffer;
} {
  const reader = new LineReader(text);
  if (reader.next("header") !== TLOG_PROOF_HEADER) throw proofInvalid(`proof does not start with ${TLOG_PROOF_HEADER}`);
  let line = reader.next("index line");
  let extra: Buffer | undefined;
  if (line.startsWith("extra ")) {
    extra = decodeBase64Strict(line.slice("extra ".length));
    if (extra === undefined) throw proofInvalid("proof extra data is not standard base64");
    line = reader.next("index line");
  }
  if (!line.startsWith("index ")) throw proofInvalid("proof has no index line");
  const index = parseDecimalCount(line.slice("index ".length), "index", "PROOF_INVALID");
  const proof = reader.hashes();
  const checkpoint = reader.rest();
  return extra === undefined ? { index, proof, checkpoint } : { index, proof, checkpoint, extra };
}

/** "old N\n" + one base64 hash per line + "\n" + the new signed checkpoint. */
export function formatConsistencyProof(oldSize: number, proof: readonly Hash[], signedCheckpoint: string): string {
  requireTreeCount(oldSize, "oldSize");
  return `old ${oldSize}\n${formatTail(proof, signedCheckpoint)}`;
}

/** Parses an "old N" consistency proof text strictly. Throws PROOF_INVALID (INDEX_OUT_OF_RANGE for N above 2^53-1). */
export function parseConsistencyProof(text: string): { oldSize: number; proof: Hash[]; checkpoint: string } {
  const reader = new LineReader(text);
  const line = reader.next("old size line");
  if (!line.startsWith("old ")) throw proofInvalid("consistency proof does not start with an old size line");
  const oldSize = parseDecimalCount(line.slice("old ".length), "oldSize", "PROOF_INVALID");
  const proof = reader.hashes();
  return { oldSize, proof, checkpoint: reader.rest() };
}

/**
 * Whole check of an inclusion proof text: the checkpoint is signed by verifier for its log (origin =
 * expectedOrigin, default the verifier's name) and entry is at the stated index of that tree.
 * Returns the checkpoint and index, or throws ArbiterError.
 */
export function verifyInclusionProofText(
  text: string,
  entry: Uint8Array,
  verifier: NoteVerifier,
  expectedOrigin?: string,
): Checkpoint & { index: number } {
  const parsed = parseInclusionProof(text);
  const checkpoint = openCheckpoint(parsed.checkpoint, verifier, expectedOrigin);
  verifyInclusion(leafHash(entry), parsed.index, checkpoint.size, parsed.proof, checkpoint.root);
  return { ...checkpoint, index: parsed.index };
}

/**
 * Whole check of a consistency proof text against a checkpoint the caller already trusts: the new
 * checkpoint is signed by verifier for the same log, and the old tree is a prefix of the new one.
 * Returns the new checkpoint, or throws ArbiterError.
 */
export function verifyConsistencyProofText(
  text: string,
  oldCheckpoint: Checkpoint,
  verifier: NoteVerifier,
  expectedOrigin?: string,
): Checkpoint {
  const parsed = parseConsistencyProof(text);
  const checkpoint = openCheckpoint(parsed.checkpoint, verifier, expectedOrigin);
  if (parsed.oldSize !== oldCheckpoint.size) {
    throw proofInvalid("consistency proof starts from another tree size", {
      proofOldSize: parsed.oldSize,
      oldSize: oldCheckpoint.size,
    });
  }
  if (oldCheckpoint.origin !== checkpoint.origin) {
    throw proofInvalid("consistency proof is for another log", {
      origin: checkpoint.origin,
      oldOrigin: oldCheckpoint.origin,
    });
  }
  verifyConsistency(oldCheckpoint.size, checkpoint.size, oldCheckpoint.root, checkpoint.root, parsed.proof);
  return checkpoint;
}
