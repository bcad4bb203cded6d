// Reading the query tables back in ledger order, so that verify can recompute each row from its leaf.
import type { Statement } from "better-sqlite3";
import type { StoredIndexRow } from "../types.js";
import type { SqliteDatabase } from "./database.js";

/** Rows per query: one query per row costs more than the row itself. */
const CHUNK = 8192;

/**
 * The record_index columns in the order scanIndexRows gives them. Each row comes as one JSON array
 * built by SQLite: fourteen JS strings per row cost twice what one does, and verify reads them all.
 */
export const INDEX_ROW_COLUMNS = [
  "record_id", "kind", "time", "subject_id", "action", "resource_id", "outcome", "reason_code", "control", "policy_version",
  "trace_id", "task_id", "decision_id", "subject_type", "subject_owner",
] as const;

type Raw = [idx: number, row: string];

/**
 * Every row of record_index and record_policies with from <= idx < to, merged per index, in index
 * order. record_policies is keyed (policy_id, idx), so it is read one policy at a time over each
 * chunk's index range: a range over idx alone would scan the whole table once per chunk.
 */
export function* scanIndexRows(db: SqliteDatabase, from: number, to: number): IterableIterator<StoredIndexRow> {
  const rows = db
    .prepare<[number, number], Raw>(
      `SELECT idx, json_array(${INDEX_ROW_COLUMNS.join(", ")}) FROM record_index WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ${CHUNK}`,
    )
    .raw();
  // Each distinct policy id found by one seek past the one before (a loose index scan): SELECT DISTINCT
  // read every row of the table, which a parallel verify did again for each span it checked.
  const policyIds = db
    .prepare<[], string>(
      `WITH RECURSIVE ids(id) AS (SELECT min(policy_id) FROM record_policies
         UNION ALL SELECT (SELECT min(policy_id) FROM record_policies WHERE policy_id > ids.id) FROM ids WHERE ids.id IS NOT NULL)
       SELECT id FROM ids WHERE id IS NOT NULL`,
    )
    .pluck()
    .all();
  const policyRows: Statement<[string, number, number], number> = db
    .prepare<[string, number, number], number>("SELECT idx FROM record_policies WHERE policy_id = ? AND idx >= ? AND idx < ?")
    .pluck();
  for (let next = from; next < to; ) {
    const chunk = rows.all(next, to);
    const end = chunk.length < CHUNK ? to : (chunk[chunk.length - 1] as Raw)[0] + 1;
    const policies = new Map<number, string[]>();
    for (const id of policyIds) {
      for (const idx of policyRows.all(id, next, end)) {
        const list = policies.get(idx);
        if (list) list.push(id);
        else policies.set(idx, [id]);
      }
    }
    // A policy row whose index has no record_index row is yielded too, so verify can name it.
    const indexed = new Set(chunk.map((row) => row[0]));
    const orphans = [...policies.keys()].filter((idx) => !indexed.has(idx)).sort((a, b) => a - b);
    let o = 0;
    for (const row of chunk) {
      for (; o < orphans.length && (orphans[o] as number) < row[0]; o++) yield orphan(orphans[o] as number, policies);
      yield { index: row[0], located: row[1], determining: policies.get(row[0]) ?? [] };
    }
    for (; o < orphans.length; o++) yield orphan(orphans[o] as number, policies);
    if (end >= to) return;
    next = end;
  }
}

function orphan(index: number, policies: Map<number, string[]>): StoredIndexRow {
  return { index, determining: policies.get(index) ?? [] };
}
