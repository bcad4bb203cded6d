// The query tables checked against the leaves: every record_index and record_policies row is
// recomputed from its entry in the same pass as the Merkle check, so a listing cannot lie unnoticed.
import type { StoredRecord } from "../record/index.js";
import { INDEX_ROW_COLUMNS, type LedgerStore, type RecordIndexFields, type StoredEntry, type StoredIndexRow } from "../store/index.js";
import { indexFieldsOf } from "./record-index.js";

export const INDEX_TABLES = { records: "record_index", policies: "record_policies" } as const;

export interface IndexProblem {
  index: number;
  table: string;
  problem: string;
}

const show = (value: unknown): string => (value === null || value === undefined ? "null" : JSON.stringify(value));

/** The record_index row the entry implies, in INDEX_ROW_COLUMNS order. */
function derivedRow(record: StoredRecord, fields: RecordIndexFields): unknown[] {
  return [
    record.id, record.kind, record.time, fields.subjectId, fields.action, fields.resourceId, fields.outcome, fields.reasonCode,
    fields.control, fields.policyVersion, fields.traceId, fields.taskId, fields.decisionId, fields.subjectType, fields.subjectOwner,
  ];
}

/** Column by column, for the rare row whose text differs (SQLite and JS may escape a control character differently). */
function firstChangedColumn(located: string, derived: unknown[]): { column: string; stored: unknown; derived: unknown } | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(located);
  } catch {
    return { column: "(row)", stored: located, derived: undefined };
  }
  const values = Array.isArray(stored) ? stored : [];
  for (const [i, column] of INDEX_ROW_COLUMNS.entries()) {
    if (values[i] !== derived[i]) return { column, stored: values[i], derived: derived[i] };
  }
  return undefined;
}

function compare(index: number, record: StoredRecord, row: StoredIndexRow): IndexProblem | undefined {
  if (row.located === undefined) {
    return { index, table: INDEX_TABLES.records, problem: `${INDEX_TABLES.records} has no row for entry ${index}: queries cannot find it` };
  }
  const fields = indexFieldsOf(record);
  const derived = derivedRow(record, fields);
  const change = row.located === JSON.stringify(derived) ? undefined : firstChangedColumn(row.located, derived);
  if (change) {
    return {
      index,
      table: INDEX_TABLES.records,
      problem: `${INDEX_TABLES.records} row of entry ${index}: ${change.column} is ${show(change.stored)} but the entry says ${show(change.derived)}; the table queries answer from was changed after the entry was written`,
    };
  }
  const expected = [...new Set(fields.determining)].sort();
  const stored = [...row.determining].sort();
  if (expected.length !== stored.length || expected.some((id, i) => id !== stored[i])) {
    return {
      index,
      table: INDEX_TABLES.policies,
      problem: `${INDEX_TABLES.policies} rows of entry ${index} name [${stored.map(show).join(", ")}] but the entry's determining policies are [${expected.map(show).join(", ")}]`,
    };
  }
  return undefined;
}

/** Walks the query tables in step with the entries; each call gets the next entry in index order. */
export class IndexCheck {
  private readonly rows: IterableIterator<StoredIndexRow>;
  private head: StoredIndexRow | undefined;
  /** Entries from here on are durable but not indexed yet (record-indexer.ts): their rows are not missing, only due. */
  private readonly indexed: number;

  /**
   * Over the whole log by default; a parallel verify's thread checks the entries from..to-1 only, with
   * the mark as its coordinator read it (a later snapshot may have rows past it, which are checked).
   */
  constructor(private readonly store: LedgerStore, span?: { from: number; to: number; indexed: number }) {
    this.indexed = span?.indexed ?? store.indexedSize();
    this.rows = store.indexRows(span?.from ?? 0, span?.to ?? Number.MAX_SAFE_INTEGER);
    this.head = this.advance();
  }

  private advance(): StoredIndexRow | undefined {
    const next = this.rows.next();
    return next.done ? undefined : next.value;
  }

  check(entry: StoredEntry): IndexProblem | undefined {
    const index = entry.index;
    if (this.head !== undefined && this.head.index < index) {
      // Entries are gapless by the time we get here, so a row below the current entry was skipped: it names no entry.
      return { index: this.head.index, table: INDEX_TABLES.records, problem: `the query tables name entry ${this.head.index}, which is not stored` };
    }
    if (this.head?.index !== index && index >= this.indexed) return undefined;
    const row: StoredIndexRow = this.head?.index === index ? this.head : { index, determining: [] };
    if (row === this.head) this.head = this.advance();
    let record: StoredRecord;
    try {
      record = JSON.parse(entry.data.toString("utf8")) as StoredRecord;
    } catch {
      return { index, table: INDEX_TABLES.records, problem: `entry ${index} is not JSON, so its ${INDEX_TABLES.records} row cannot be derived from it` };
    }
    return compare(index, record, row);
  }

  /** Rows past the last verified entry: fine if the log grew meanwhile, else they point at nothing. */
  finish(verified: number): IndexProblem | undefined {
    const size = Math.max(verified, this.store.size());
    return strayRowProblem(this.store.firstIndexRowFrom(size), size);
  }
}

/** A query-table row at `stray`, at or past the `size` entries the log holds. */
export function strayRowProblem(stray: number | undefined, size: number): IndexProblem | undefined {
  if (stray === undefined) return undefined;
  return { index: stray, table: INDEX_TABLES.records, problem: `the query tables name entry ${stray}, but the log holds ${size} entries` };
}
