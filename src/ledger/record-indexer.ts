// The search index off the acknowledgement path: an append commits and fsyncs its leaf and tree edge (the
// durable truth), is acknowledged, and only then does the same writer add its query-table rows.
import type { StoredRecord } from "../record/index.js";
import { ArbiterError } from "../record/errors.js";
import type { IndexWrite, LedgerStore, LedgerWriter } from "../store/index.js";
import { indexFieldsOf } from "./record-index.js";

/**
 * A batch of at least this many appends writes its query-table rows in its own transaction, before
 * the acknowledgement. Such a batch is bulk work (an import, a linkage run's records, a flood): its
 * callers wait for the whole batch's commit and fsync anyway, and one transaction with the rows costs
 * less than a lookup per record id before it and a second transaction after (bench:ledger: the
 * throughput lost when every batch indexed after its acknowledgement). Smaller batches, a server's
 * usual, keep the rows off the acknowledgement path.
 */
export const INDEX_WITH_COMMIT_FROM = 64;

/** The rows of a record, as append computes them and as a rebuild derives them from its leaf. */
export function indexWriteOf(record: StoredRecord): IndexWrite {
  return { recordId: record.id, kind: record.kind, time: record.time, fields: indexFieldsOf(record) };
}

/**
 * Keeps record_index and record_policies level with the log. The rows of this process's own appends
 * are held from their commit until they are written: right after the acknowledgement (one write
 * transaction per turn of the event loop, not synced: the rows are derived, and the next fsync or
 * checkpoint carries them), before any read of the index in this process, and at the start of the next
 * append's transaction. Entries without rows that this process does not hold (another process's, or
 * ours before a crash) are derived from their leaves, so a crash between acknowledgement and indexing
 * loses nothing: the next writer, or the next open, indexes them.
 */
export class RecordIndexer {
  private readonly held = new Map<number, IndexWrite>();
  private scheduled = false;

  constructor(private readonly store: LedgerStore) {}

  /** Rows written in this process's commits that are not in the index yet (for tests). */
  get pending(): number {
    return this.held.size;
  }

  /** Inside a write transaction: indexes every entry below the writer's size that has no rows. */
  catchUp(writer: LedgerWriter): void {
    const from = writer.indexedSize();
    const to = writer.size();
    if (from < to) {
      const rows: IndexWrite[] = [];
      for (let index = from; index < to; index++) rows.push(this.held.get(index) ?? this.derive(index));
      writer.insertIndexRows(from, rows);
    }
  }

  /** After a commit: the rows of entries start, start + 1, ... to write once they are acknowledged. */
  committed(start: number, rows: readonly IndexWrite[]): void {
    // The commit's transaction indexed everything below its first entry (catchUp).
    for (const index of this.held.keys()) if (index < start) this.held.delete(index);
    rows.forEach((row, offset) => this.held.set(start + offset, row));
  }

  /** After an acknowledgement: the rows go in once the acknowledged callers have had their turn. */
  schedule(): void {
    if (this.scheduled || this.held.size === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /**
   * Writes the held rows now, or anything the index lacks when `all` (at open and close). A failure leaves
   * them held: the next append's transaction indexes first and fails closed if it cannot.
   */
  flush(all = false): void {
    if (this.held.size === 0 && !(all && this.store.indexedSize() < this.store.size())) return;
    try {
      this.store.write((writer) => this.catchUp(writer));
      // Every held row is below the size the transaction saw (held only after its commit).
      this.held.clear();
    } catch {
      // Held rows stay held; nothing acknowledged depends on them.
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
