// The query tables' rows (record_index, record_policies), written with their entries, with the high-water mark of how far they reach.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/errors.js";
import type { IndexWrite } from "../types.js";
import type { SqliteDatabase } from "./database.js";

function idTaken(recordId: string): ArbiterError {
  return new ArbiterError("LEDGER_UNAVAILABLE", `the ledger could not record the entry: record id ${JSON.stringify(recordId)} is already in the ledger (record ids are UNIQUE)`);
}

export class IndexRows {
  private readonly stmt: {
    insertLocation: Statement<unknown[]>;
    insertPolicy: Statement<[string, number]>;
    indexedSize: Statement<[], number | null>;
  };

  constructor(db: SqliteDatabase) {
    this.stmt = {
      insertLocation: db.prepare(
        `INSERT INTO record_index (record_id, idx, kind, time, subject_id, action, resource_id, outcome, reason_code,
           control, policy_version, trace_id, task_id, decision_id, subject_type, subject_owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertPolicy: db.prepare("INSERT OR IGNORE INTO record_policies (policy_id, idx) VALUES (?, ?)"),
      indexedSize: db.prepare<[], number | null>("SELECT max(idx) + 1 FROM record_index").pluck(),
    };
  }

  /** idx is record_index's rowid: max() reads one page, and rows are only ever written in index order from the mark. */
  indexedSize(): number {
    return this.stmt.indexedSize.get() ?? 0;
  }

  insert(start: number, rows: readonly IndexWrite[]): void {
    const indexed = this.indexedSize();
    if (indexed !== start) throw new ArbiterError("LEDGER_CORRUPT", `indexing expected the record index to cover ${start} entries, it covers ${indexed}`, { index: indexed });
    rows.forEach((row, offset) => {
      const index = start + offset;
      const f = row.fields;
      try {
        this.stmt.insertLocation.run(row.recordId, index, row.kind, row.time, f.subjectId, f.action, f.resourceId,
          f.outcome, f.reasonCode, f.control, f.policyVersion, f.traceId, f.taskId, f.decisionId, f.subjectType, f.subjectOwner);
      } catch (err) {
        // record_index.record_id is UNIQUE: in an append's own transaction this refuses a known id before anything is durable.
        if (err instanceof Error && "code" in err && err.code === "SQLITE_CONSTRAINT_UNIQUE" && err.message.includes("record_index.record_id")) throw idTaken(row.recordId);
        throw err;
      }
      for (const policyId of f.determining) this.stmt.insertPolicy.run(policyId, index);
    });
  }
}
