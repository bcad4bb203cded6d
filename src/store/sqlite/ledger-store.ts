// The ledger's tables in SQLite: better-sqlite3 prepared statements, synchronous by design.
// Kysely is not used here: group commit must run one synchronous transaction per batch, and the
// async query builder would add a promise per statement on the hottest path of the product.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/errors.js";
import type {
  EntryWrite,
  LedgerStore,
  LedgerWriter,
  RawValueRow,
  RecordLocation,
  StoredCheckpoint,
  StoredEntry,
  SubtreeAddress,
} from "../types.js";
import type { SqliteDatabase } from "./database.js";

const HASH_SIZE = 32;

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  signed_at: string;
}

interface LocationRow {
  record_id: string;
  idx: number;
  kind: string;
  time: string;
  subject_id: string | null;
}

function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return { size: row.size, root: row.root, note: row.note, signedAt: row.signed_at };
}

function toLocation(row: LocationRow): RecordLocation {
  return { recordId: row.record_id, index: row.idx, kind: row.kind, time: row.time, subjectId: row.subject_id };
}

/** The entry that completes a perfect subtree stores its root: entry (k+1)*2^L - 1, slot L. */
function storageSlot(address: SubtreeAddress): { row: number; offset: number } {
  return { row: (address.index + 1) * 2 ** address.level - 1, offset: address.level * HASH_SIZE };
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    size: Statement<[], number | null>;
    hashesOf: Statement<[number], Buffer | undefined>;
    entry: Statement<[number], Buffer | undefined>;
    entries: Statement<[number, number], StoredEntry>;
    insertEntry: Statement<[number, Buffer, Buffer]>;
    insertLocation: Statement<[string, number, string, string, string | null]>;
    insertRaw: Statement<[string, string, string | null, string, string, string]>;
    latestCheckpoint: Statement<[], CheckpointRow | undefined>;
    checkpoints: Statement<[], CheckpointRow>;
    checkpointAt: Statement<[number], CheckpointRow | undefined>;
    insertCheckpoint: Statement<[number, Buffer, string, string]>;
    locate: Statement<[string], LocationRow | undefined>;
    between: Statement<[string, string], LocationRow>;
    rawOf: Statement<[string], RawValueRow>;
    eraseBySubject: Statement<[string]>;
    eraseByRecord: Statement<[string]>;
  };
  private readonly writer: LedgerWriter;

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      size: db.prepare<[], number | null>("SELECT max(idx) + 1 FROM entries").pluck(),
      hashesOf: db.prepare<[number], Buffer | undefined>("SELECT hashes FROM entries WHERE idx = ?").pluck(),
      entry: db.prepare<[number], Buffer | undefined>("SELECT data FROM entries WHERE idx = ?").pluck(),
      entries: db.prepare<[number, number], StoredEntry>(
        "SELECT idx AS 'index', data, hashes FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
      ),
      insertEntry: db.prepare("INSERT INTO entries (idx, data, hashes) VALUES (?, ?, ?)"),
      insertLocation: db.prepare(
        "INSERT INTO record_index (record_id, idx, kind, time, subject_id) VALUES (?, ?, ?, ?, ?)",
      ),
      insertRaw: db.prepare(
        "INSERT INTO raw_values (commitment, record_id, subject_id, field, salt, value) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      latestCheckpoint: db.prepare<[], CheckpointRow | undefined>(
        "SELECT size, root, note, signed_at FROM checkpoints ORDER BY size DESC LIMIT 1",
      ),
      checkpoints: db.prepare<[], CheckpointRow>("SELECT size, root, note, signed_at FROM checkpoints ORDER BY size"),
      checkpointAt: db.prepare<[number], CheckpointRow | undefined>(
        "SELECT size, root, note, signed_at FROM checkpoints WHERE size = ?",
      ),
      insertCheckpoint: db.prepare("INSERT OR IGNORE INTO checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?)"),
      locate: db.prepare<[string], LocationRow | undefined>(
        "SELECT record_id, idx, kind, time, subject_id FROM record_index WHERE record_id = ?",
      ),
      between: db.prepare<[string, string], LocationRow>(
        "SELECT record_id, idx, kind, time, subject_id FROM record_index WHERE time >= ? AND time < ? ORDER BY idx",
      ),
      rawOf: db.prepare<[string], RawValueRow>(
        "SELECT commitment, record_id AS recordId, subject_id AS subjectId, field, salt, value FROM raw_values WHERE record_id = ? ORDER BY field",
      ),
      eraseBySubject: db.prepare("DELETE FROM raw_values WHERE subject_id = ?"),
      eraseByRecord: db.prepare("DELETE FROM raw_values WHERE record_id = ?"),
    };
    this.writer = {
      size: () => this.size(),
      readHashes: (addresses) => this.readHashes(addresses),
      latestCheckpoint: () => this.latestCheckpoint(),
      insertEntries: (start, writes) => this.insertEntries(start, writes),
      insertCheckpoint: (cp) => {
        this.stmt.insertCheckpoint.run(cp.size, cp.root, cp.note, cp.signedAt);
      },
    };
  }

  size(): number {
    return this.stmt.size.get() ?? 0;
  }

  readHashes(addresses: readonly SubtreeAddress[]): Buffer[] {
    return addresses.map((address) => {
      const { row, offset } = storageSlot(address);
      const hashes = this.stmt.hashesOf.get(row);
      if (hashes === undefined || hashes.length < offset + HASH_SIZE) {
        throw new ArbiterError("LEDGER_CORRUPT", `stored hash of subtree level ${address.level} index ${address.index} is missing (entry ${row})`, { index: row });
      }
      return hashes.subarray(offset, offset + HASH_SIZE);
    });
  }

  latestCheckpoint(): StoredCheckpoint | undefined {
    const row = this.stmt.latestCheckpoint.get();
    return row && toCheckpoint(row);
  }

  write<T>(fn: (writer: LedgerWriter) => T): T {
    return this.db.transaction(() => fn(this.writer)).immediate();
  }

  private insertEntries(start: number, writes: readonly EntryWrite[]): void {
    const size = this.size();
    if (size !== start) {
      throw new ArbiterError("LEDGER_CORRUPT", `append expected the ledger to hold ${start} entries, it holds ${size}`, { index: size });
    }
    writes.forEach((write, offset) => {
      const index = start + offset;
      this.stmt.insertEntry.run(index, write.data, write.hashes);
      this.stmt.insertLocation.run(write.recordId, index, write.kind, write.time, write.subjectId);
      for (const raw of write.raw) {
        this.stmt.insertRaw.run(raw.commitment, raw.recordId, raw.subjectId, raw.field, raw.salt, raw.value);
      }
    });
  }

  entry(index: number): Buffer | undefined {
    return this.stmt.entry.get(index);
  }

  entries(from: number, to: number): IterableIterator<StoredEntry> {
    return this.stmt.entries.iterate(from, to);
  }

  checkpoints(): StoredCheckpoint[] {
    return this.stmt.checkpoints.all().map(toCheckpoint);
  }

  checkpointAt(size: number): StoredCheckpoint | undefined {
    const row = this.stmt.checkpointAt.get(size);
    return row && toCheckpoint(row);
  }

  locateRecord(recordId: string): RecordLocation | undefined {
    const row = this.stmt.locate.get(recordId);
    return row && toLocation(row);
  }

  recordsBetween(fromTime: string, toTime: string): RecordLocation[] {
    return this.stmt.between.all(fromTime, toTime).map(toLocation);
  }

  rawValuesOf(recordId: string): RawValueRow[] {
    return this.stmt.rawOf.all(recordId);
  }

  eraseRawValues(selector: { subjectId: string } | { recordId: string }): number {
    const result =
      "subjectId" in selector
        ? this.stmt.eraseBySubject.run(selector.subjectId)
        : this.stmt.eraseByRecord.run(selector.recordId);
    return result.changes;
  }

  close(): void {
    this.db.close();
  }
}
