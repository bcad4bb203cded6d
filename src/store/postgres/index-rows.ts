// The query tables' rows (record_index, record_policies) as multi-row statements: one statement per
// table for a whole batch (arrays unnested by the server), so thousands of rows cost one round trip.
import { ArbiterError } from "../../record/errors.js";
import type { IndexWrite } from "../types.js";
import type { PgStatement } from "./connection.js";

/** The high-water mark of the query tables: rows are only ever written in index order from it. */
export const INDEXED_SIZE = "(SELECT max(idx) + 1 FROM record_index)";

const LOCATION_INSERT = `INSERT INTO record_index (idx, record_id, kind, time, subject_id, action, resource_id, outcome, reason_code,
    control, policy_version, trace_id, task_id, decision_id, subject_type, subject_owner)
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[])`;

/**
 * The statements that insert `rows` from index `start`. `ignore` names the conflicts skipped rather
 * than refused: the caller checks the high-water mark (and, for new entries, the record ids) in the
 * same round trip before these run and rolls the transaction back when it does not hold, so a row
 * skipped here is never committed; a conflict the caller did not check still fails the statement.
 */
export function indexRowStatements(start: number, rows: readonly IndexWrite[], ignore: "ON CONFLICT DO NOTHING" | "ON CONFLICT (idx) DO NOTHING"): PgStatement[] {
  if (rows.length === 0) return [];
  const columns: (string | number | null)[][] = Array.from({ length: 16 }, () => []);
  const policyIds: string[] = [];
  const policyIdx: number[] = [];
  rows.forEach((row, offset) => {
    const index = start + offset;
    const f = row.fields;
    const values = [index, row.recordId, row.kind, row.time, f.subjectId, f.action, f.resourceId, f.outcome, f.reasonCode,
      f.control, f.policyVersion, f.traceId, f.taskId, f.decisionId, f.subjectType, f.subjectOwner];
    values.forEach((value, column) => (columns[column] as (string | number | null)[]).push(value));
    for (const policyId of f.determining) {
      policyIds.push(policyId);
      policyIdx.push(index);
    }
  });
  const statements: PgStatement[] = [{ text: `${LOCATION_INSERT} ${ignore}`, values: columns }];
  // INSERT OR IGNORE in SQLite: a leaf naming one policy twice has one row for it.
  if (policyIds.length > 0) {
    statements.push({
      text: "INSERT INTO record_policies (policy_id, idx) SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING",
      values: [policyIds, policyIdx],
    });
  }
  return statements;
}

/** The same refusal as SQLite's store for an id already in the ledger, or twice among the entries appended. */
export function duplicateRecordId(recordId: string): ArbiterError {
  return new ArbiterError("LEDGER_UNAVAILABLE", `the ledger could not record the entry: record id ${JSON.stringify(recordId)} is already in the ledger (record ids are UNIQUE)`);
}

/** The first record id of `writes` that an earlier one repeats, if any. */
export function repeatedId(writes: readonly { recordId: string }[]): string | undefined {
  const ids = new Set<string>();
  for (const { recordId } of writes) {
    if (ids.has(recordId)) return recordId;
    ids.add(recordId);
  }
  return undefined;
}

export function assertIndexedFrom(indexed: number, start: number): void {
  if (indexed !== start) throw new ArbiterError("LEDGER_CORRUPT", `indexing expected the record index to cover ${start} entries, it covers ${indexed}`, { index: indexed });
}
