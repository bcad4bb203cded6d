// A record's leaf: its RFC 8785 bytes, at most 64 KiB, and the way back from bytes to a checked record.
import { canonicalize, MAX_JSON_DEPTH } from "./canonical.js";
import { ArbiterError, isArbiterError } from "./errors.js";
import { formatPath, invalidRecord, parseRecord } from "./issues.js";
import { findJsonProblem } from "./json-value.js";
import { storedRecordSchema, type StoredRecord } from "./schema.js";

/** Largest leaf in bytes: bounds a ledger entry, a proof's payload and a decode on hostile input. */
export const LEAF_LIMIT_BYTES = 65536;

// fatal: malformed UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM stays in the text and fails JSON.parse.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The leaf bytes of a validated record. Throws INVALID_RECORD (not I-JSON) or RECORD_TOO_LARGE. */
export function encodeLeaf(record: StoredRecord): Buffer {
  let json: string;
  try {
    json = canonicalize(record);
  } catch (err) {
    // Only strings with lone surrogates get this far; the slow walk says where.
    const found = findJsonProblem(record, MAX_JSON_DEPTH);
    const problem = found ?? { path: [], problem: isArbiterError(err) ? err.message : "cannot be encoded as JSON" };
    throw invalidRecord([{ path: formatPath(problem.path), problem: problem.problem }]);
  }
  const bytes = Buffer.from(json, "utf8");
  if (bytes.length > LEAF_LIMIT_BYTES) throw tooLarge(bytes.length);
  return bytes;
}

/**
 * Reads leaf bytes back into a record. The bytes must be UTF-8 JSON (else INVALID_JSON), a valid
 * record (else INVALID_RECORD) and exactly the canonical encoding of that record (else
 * INVALID_RECORD): a leaf that shows differently from its bytes would mislead whoever reads it.
 */
export function decodeRecord(bytes: Uint8Array): StoredRecord {
  if (bytes.length > LEAF_LIMIT_BYTES) throw tooLarge(bytes.length);
  const value = parseJson(bytes);
  const record = parseRecord(storedRecordSchema, value);
  if (Buffer.compare(encodeLeaf(record), bytes) !== 0) {
    throw invalidRecord([{ path: "record", problem: "the bytes are not in RFC 8785 canonical form" }]);
  }
  return record;
}

/** True when `bytes` are UTF-8 JSON exactly as RFC 8785 would write them. Never throws. */
export function isCanonical(bytes: Uint8Array): boolean {
  try {
    return Buffer.compare(Buffer.from(canonicalize(parseJson(bytes)), "utf8"), bytes) === 0;
  } catch {
    return false;
  }
}

function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ArbiterError("INVALID_JSON", "the leaf is not valid UTF-8");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ArbiterError("INVALID_JSON", `the leaf is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function tooLarge(size: number): ArbiterError {
  return new ArbiterError(
    "RECORD_TOO_LARGE",
    `record is ${size} bytes as canonical JSON, over the ${LEAF_LIMIT_BYTES}-byte leaf limit`,
    { size, limit: LEAF_LIMIT_BYTES },
  );
}
