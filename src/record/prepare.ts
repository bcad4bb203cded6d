// From what a caller gives to what the ledger appends: validate, fill id and time, commit sensitive values, encode.
import { canonicalize } from "./canonical.js";
import { commitValue } from "./commitment.js";
import { ArbiterError } from "./errors.js";
import { formatPath, invalidRecord, parseRecord } from "./issues.js";
import type { JsonValue } from "./json-value.js";
import { encodeLeaf } from "./leaf.js";
import { recordIdSchema } from "./parts.js";
import { newRecordId } from "./record-id.js";
import { redactRecord } from "./redact.js";
import { RECORD_VERSION, recordInputSchema, type RecordInput, type StoredRecord } from "./schema.js";

/** A raw sensitive value, for the erasable side table keyed by `commitment`. Never part of a leaf. */
export interface RawValue {
  field: string;
  commitment: string;
  /** base64url, unpadded; with `value` it recomputes `commitment` (docs/record.md). */
  salt: string;
  value: JsonValue;
}

export interface PreparedRecord {
  record: StoredRecord;
  /** RFC 8785 canonical JSON of `record`: the Merkle leaf. */
  bytes: Buffer;
  raw: RawValue[];
}

export interface PrepareOptions {
  /** The time to stamp when the input has none, and the id's timestamp. Defaults to the clock. */
  now?: Date;
  /** Id source when the input has none. Defaults to a UUIDv7. */
  newId?: () => string;
  /**
   * The data directory's binding key: values the detectors find in free-text fields are replaced by
   * keyed markers before the leaf is encoded (redact.ts). The ledger always gives it.
   */
  redactionKey?: Buffer;
}

/**
 * Validates a record input and turns it into a stored record and its leaf bytes. Raw values in
 * `sensitive` become salted entries of `commitments` and come back in `raw`, never in `bytes`.
 * Throws ArbiterError INVALID_RECORD (message names the field and the problem) or RECORD_TOO_LARGE.
 * The returned objects may share nested values with `input`; treat both as read-only.
 */
export function prepareRecord(input: unknown, opts: PrepareOptions = {}): PreparedRecord {
  return finish(parseRecord(recordInputSchema, input), opts);
}

/**
 * Whether records Arbiter builds itself are parsed against the schema as well. Off in production:
 * the parse cost the hot path 9 to 110 µs a record (warm loop vs. a gateway between calls) for
 * records whose shape the type-checker already holds. The test suite turns it on (vitest.config.ts),
 * so every record any test builds is parsed, and must come out of the parse unchanged.
 */
const CHECK_BUILT_RECORDS = process.env.ARBITER_CHECK_RECORDS === "1";

/**
 * prepareRecord for a record built by Arbiter's own typed builders (decisions, enforcement reports):
 * everything but the schema parse, whose only effect on such a record would be to refuse it.
 * External input never comes here: it goes through prepareRecord, parsed once.
 */
export function prepareBuilt(record: RecordInput, opts: PrepareOptions = {}): PreparedRecord {
  return finish(CHECK_BUILT_RECORDS ? checkBuilt(record) : record, opts);
}

/** The parse that prepareBuilt skips, for tests: refuses a built record the schema refuses or would change. */
export function checkBuilt(record: RecordInput): RecordInput {
  const parsed = parseRecord(recordInputSchema, record);
  if (canonicalize(parsed) !== canonicalize(record)) {
    throw new ArbiterError("INVALID_RECORD", `a built ${record.kind} record changes when parsed against the schema, so skipping the parse would change its leaf`);
  }
  return record;
}

function finish(input: RecordInput, opts: PrepareOptions): PreparedRecord {
  const { sensitive, ...given } = input;

  const now = opts.now ?? new Date();
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) throw new ArbiterError("USAGE", "prepareRecord: options.now is an invalid Date");

  const raw: RawValue[] = [];
  let commitments = given.commitments;
  if (sensitive !== undefined) {
    const added: Record<string, string> = {};
    for (const [field, value] of Object.entries(sensitive)) {
      if (value === undefined) continue;
      if (commitments !== undefined && Object.hasOwn(commitments, field)) {
        throw invalidRecord([
          { path: formatPath(["sensitive", field]), problem: `${formatPath(["commitments", field])} is already given; commit a field once` },
        ]);
      }
      const { commitment, salt } = commitValue(value);
      added[field] = commitment;
      raw.push({ field, commitment, salt, value });
    }
    if (raw.length > 0) commitments = Object.assign({}, commitments, added);
  }

  // Object.assign, not `{ ...given, v, id, time }`: that spread measured 20 times slower on Node 20.
  const record: StoredRecord = Object.assign(given, {
    v: RECORD_VERSION,
    id: given.id ?? generatedId(opts.newId, nowMs),
    time: given.time ?? now.toISOString(),
  });
  if (commitments !== undefined) record.commitments = commitments;
  const stored = opts.redactionKey === undefined ? record : redactRecord(record, opts.redactionKey).record;
  return { record: stored, bytes: encodeLeaf(stored), raw };
}

/**
 * A record prepared elsewhere (linkage builds its `link` leaves itself), redacted as prepareRecord
 * redacts: the same object when nothing was found, else the redacted record and its new leaf bytes.
 */
export function redactPrepared(prepared: PreparedRecord, key: Buffer): PreparedRecord {
  const { record, count } = redactRecord(prepared.record, key);
  return count === 0 ? prepared : { record, bytes: encodeLeaf(record), raw: prepared.raw };
}

function generatedId(newId: (() => string) | undefined, nowMs: number): string {
  if (newId === undefined) return newRecordId(nowMs);
  const id = newId();
  if (!recordIdSchema.safeParse(id).success) {
    throw new ArbiterError("USAGE", `prepareRecord: options.newId returned an invalid record id ${JSON.stringify(id)}`);
  }
  return id;
}
