// The search index's gaps: an append writes its query-table rows in its own commit, so an acknowledged append
// is indexed; entries without rows (appended by an earlier version that indexed after the acknowledgement and
// crashed in between, or by such a version in another process) are derived from their leaves.
import type { StoredRecord } from "../record/index.js";
import { ArbiterError } from "../record/errors.js";
import type { IndexWrite, LedgerStore, LedgerWriter } from "../store/index.js";
import { indexFieldsOf } from "./record-index.js";

/** The rows of a record, as append computes them and as a rebuild derives them from its leaf. */
export function indexWriteOf(record: StoredRecord): IndexWrite {
  return { recordId: record.id, kind: record.kind, time: record.time, fields: indexFieldsOf(record) };
}

/**
 * Keeps record_index and record_policies level with the log where it is not: every entry below the log's
 * size that has no rows gets the rows derived from its leaf, at open, at close and at the start of every
 * append's transaction. The rows of this process's own appends go in with their commit (Ledger.commit):
 * they were written after the acknowledgement for a while, in a second transaction per turn of the event
 * loop, and putting them back cut an append's CPU by 8–20% for lone appends and the small groups a server
 * commits, with no loss of latency (BENCHMARKS.md, "The search index back in the commit").
 */
export class RecordIndexer {
  constructor(private readonly store: LedgerStore) {}

  /** Inside a write transaction: indexes every entry below the writer's size that has no rows. */
  catchUp(writer: LedgerWriter): void {
    const from = writer.indexedSize();
    const to = writer.size();
    if (from < to) {
      const rows: IndexWrite[] = [];
      for (let index = from; index < to; index++) rows.push(this.derive(index));
      writer.insertIndexRows(from, rows);
    }
  }

  /** Writes whatever the index lacks now (at open and close); a failure is left to the next append's transaction, which fails closed. */
  catchUpNow(): void {
    if (this.store.indexedSize() >= this.store.size()) return;
    try {
      this.store.write((writer) => this.catchUp(writer));
    } catch {
      // The next append's transaction indexes first and refuses to append if it cannot.
    }
  }

  private derive(index: number): IndexWrite {
    const leaf = this.store.entry(index);
    let record: StoredRecord;
    try {
      record = JSON.parse((leaf ?? Buffer.alloc(0)).toString("utf8")) as StoredRecord;
    } catch {
      throw new ArbiterError("LEDGER_CORRUPT", `entry ${index} is not JSON, so its record index row cannot be derived from it`, { index });
    }
    if (typeof record.id !== "string" || typeof record.kind !== "string" || typeof record.time !== "string") {
      throw new ArbiterError("LEDGER_CORRUPT", `entry ${index} has no record id, kind and time, so its record index row cannot be derived from it`, { index });
    }
    return indexWriteOf(record);
  }
}
