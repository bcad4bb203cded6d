// Reading the query tables back in ledger order, so that verify can recompute each row from its leaf.
import type { StoredIndexRow } from "../types.js";
import { INDEX_ROW_COLUMNS } from "../sqlite/index-scan.js";
import type { PgConnection } from "./connection.js";

/** Rows per query: one round trip per row costs more than the row itself, and a chunk is held in memory. */
const CHUNK = 4096;

type LocatedRow = { idx: number } & Record<(typeof INDEX_ROW_COLUMNS)[number], string | null>;

/**
 * One chunk of record_index from $1 (at most CHUNK rows below $2), and where it ends: $2 when it is
 * the last, else past its last row, so that the record_policies rows read with it cover the same range.
 */
const CHUNK_END = `(SELECT CASE WHEN count(*) < ${CHUNK} THEN $2 ELSE max(idx) + 1 END
  FROM (SELECT idx FROM record_index WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT ${CHUNK}) AS chunk)`;

/**
 * record_policies is keyed (policy_id, idx): each distinct policy id is found by one seek past the one
 * before (a loose index scan), then its rows in the chunk's range by one seek each; a range over idx
 * alone would read the whole table once per chunk.
 */
const POLICY_ROWS = `WITH RECURSIVE ids(id) AS (SELECT min(policy_id) FROM record_policies
    UNION ALL SELECT (SELECT min(policy_id) FROM record_policies WHERE policy_id > ids.id) FROM ids WHERE ids.id IS NOT NULL),
  bounds(hi) AS (SELECT ${CHUNK_END})
  SELECT p.idx, ids.id AS policy_id FROM ids CROSS JOIN bounds
  CROSS JOIN LATERAL (SELECT idx FROM record_policies WHERE policy_id = ids.id AND idx >= $1 AND idx < bounds.hi) AS p
  WHERE ids.id IS NOT NULL`;

/**
 * Every row of record_index and record_policies with from <= idx < to, merged per index, in index
 * order; both tables of a chunk in one round trip. `located` is the row as a JSON array of
 * INDEX_ROW_COLUMNS, serialised here as verify serialises the row it derives, so that equal rows compare as equal text.
 */
export function* scanIndexRows(conn: PgConnection, from: number, to: number): IterableIterator<StoredIndexRow> {
  for (let next = from; next < to; ) {
    const [chunk, policyRows] = conn.batch([
      { text: `SELECT idx, ${INDEX_ROW_COLUMNS.join(", ")} FROM record_index WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT ${CHUNK}`, values: [next, to] },
      { text: POLICY_ROWS, values: [next, to] },
    ]) as [LocatedRow[], { idx: number; policy_id: string }[]];
    const end = chunk.length < CHUNK ? to : (chunk[chunk.length - 1] as LocatedRow).idx + 1;
    const policies = new Map<number, string[]>();
    for (const { idx, policy_id } of policyRows) {
      const list = policies.get(idx);
      if (list) list.push(policy_id);
      else policies.set(idx, [policy_id]);
    }
    // A policy row whose index has no record_index row is yielded too, so verify can name it.
    const indexed = new Set(chunk.map((row) => row.idx));
    const orphans = [...policies.keys()].filter((idx) => !indexed.has(idx)).sort((a, b) => a - b);
    let o = 0;
    for (const row of chunk) {
      for (; o < orphans.length && (orphans[o] as number) < row.idx; o++) yield orphan(orphans[o] as number, policies);
      yield { index: row.idx, located: JSON.stringify(INDEX_ROW_COLUMNS.map((column) => row[column])), determining: policies.get(row.idx) ?? [] };
    }
    for (; o < orphans.length; o++) yield orphan(orphans[o] as number, policies);
    if (end >= to) return;
    next = end;
  }
}

function orphan(index: number, policies: Map<number, string[]>): StoredIndexRow {
  return { index, determining: policies.get(index) ?? [] };
}
