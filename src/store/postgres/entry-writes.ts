// The statements of an append: its checks and its entries, index rows and raw values as multi-row
// inserts (arrays unnested by the server), so that a batch of thousands costs one round trip.
import { ArbiterError } from "../../record/errors.js";
import type { EntryWrite, RawValueRow } from "../types.js";
import type { PgStatement } from "./connection.js";
import { INDEXED_SIZE, assertIndexedFrom, duplicateRecordId, indexRowStatements } from "./index-rows.js";

/** The number of entries: they are numbered 0..size-1 with no gaps. */
export const SIZE = "(SELECT max(idx) + 1 FROM entries)";

/** What the check that opens an append's round trip read, before any of its inserts ran. */
export interface AppendCheck {
  size: number | null;
  indexed: number | null;
  taken: string[];
}

/**
 * The check, then the entries and their index rows. A row whose index or record id is taken is
 * skipped rather than failing its statement, so that the check's answer comes back: it refuses the
 * append (assertAppendable) and the transaction rolls back whatever the round trip wrote.
 */
export function appendStatements(start: number, writes: readonly EntryWrite[]): PgStatement[] {
  const bodies = writes.map((w) => Buffer.concat([w.hashes, w.data]));
  return [
    {
      text: `SELECT ${SIZE} AS size, ${INDEXED_SIZE} AS indexed, ARRAY(SELECT record_id FROM record_index WHERE record_id = ANY($1::text[])) AS taken`,
      values: [writes.map((w) => w.recordId)],
    },
    { text: "INSERT INTO entries (idx, body) SELECT * FROM unnest($1::bigint[], $2::bytea[]) ON CONFLICT (idx) DO NOTHING", values: [bodies.map((_, i) => start + i), bodies] },
    ...indexRowStatements(start, writes, "ON CONFLICT DO NOTHING"),
  ];
}

/** SQLite's refusals, in its order: an append not at the end, an index short of it, a record id taken. */
export function assertAppendable(start: number, writes: readonly EntryWrite[], check: AppendCheck | undefined): void {
  const size = check?.size ?? 0;
  if (size !== start) {
    throw new ArbiterError("LEDGER_CORRUPT", `append expected the ledger to hold ${start} entries, it holds ${size}`, { index: size });
  }
  assertIndexedFrom(check?.indexed ?? 0, start);
  const taken = new Set(check?.taken ?? []);
  const duplicate = writes.find((w) => taken.has(w.recordId));
  if (duplicate) throw duplicateRecordId(duplicate.recordId);
}

/**
 * Raw values of entries from one round trip. `unchecked`: the round trip's check has not been read
 * yet, so a row of a record id already in the ledger is skipped rather than failing the statement:
 * the check refuses that id and rolls everything back, with its own message. Ids repeated within the
 * append were refused before anything was sent, so a conflict among these rows still fails.
 */
export function rawInsert(raws: readonly RawValueRow[], unchecked: boolean): PgStatement {
  const skipTaken = unchecked ? " WHERE NOT EXISTS (SELECT 1 FROM raw_values r WHERE r.record_id = u.record_id AND r.field = u.field)" : "";
  return {
    text: `INSERT INTO raw_values (commitment, record_id, subject_id, field, salt, value)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(commitment, record_id, subject_id, field, salt, value)${skipTaken}`,
    values: [raws.map((r) => r.commitment), raws.map((r) => r.recordId), raws.map((r) => r.subjectId), raws.map((r) => r.field), raws.map((r) => r.salt), raws.map((r) => r.value)],
  };
}
