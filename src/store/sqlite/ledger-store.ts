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
  RawValueSelector,
  ActionCount,
  RecordCount,
  RecordFilter,
  RecordLocation,
  RecordQuery,
  StoredCheckpoint,
  StoredEntry,
  StoredIndexRow,
  SubtreeAddress,
  TimeBucket,
} from "../types.js";
import type { StoreEffect } from "../contracts/effects.js";
import type { SqliteDatabase } from "./database.js";
import { BackgroundCheckpointer, type CheckpointerOptions } from "./checkpointer.js";
import { HASH_SIZE, completedHashCount, splitBody, storageSlot } from "./entry-layout.js";
import { scanIndexRows } from "./index-scan.js";
import { SqliteRecordQueries } from "./record-queries.js";
import { SqliteEffects } from "./effects.js";
import { IndexRows } from "./index-rows.js";
import { WalSync } from "./wal-sync.js";

/** Rows read per query while scanning: one query per row costs more than the row itself. */
const SCAN_CHUNK = 8192;

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  signed_at: string;
}

function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return { size: row.size, root: row.root, note: row.note, signedAt: row.signed_at };
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    size: Statement<[], number | null>;
    hashAt: Statement<[number, number], Buffer | undefined>;
    entry: Statement<[number, number], Buffer | undefined>;
    scan: Statement<[number, number], [number, Buffer]>;
    insertEntry: Statement<[number, Buffer]>;
    insertRaw: Statement<[string, string, string | null, string, string, string]>;
    latestCheckpoint: Statement<[], CheckpointRow | undefined>;
    checkpoints: Statement<[], CheckpointRow>;
    checkpointAt: Statement<[number], CheckpointRow | undefined>;
    insertCheckpoint: Statement<[number, Buffer, string, string]>;
  };
  private readonly writer: LedgerWriter;
  private readonly queries: SqliteRecordQueries;
  /** Prepared on the first effect: a store opened on the ledger tables alone never needs them. */
  private effects: SqliteEffects | undefined;
  private readonly wal: WalSync;
  private readonly index: IndexRows;
  private checkpointer: BackgroundCheckpointer | undefined;
  /** The checkpointer found the WAL long: restart it after the next fsync (see restartWal). */
  private restartWanted = false;

  /** backgroundCheckpoints: for long-running processes; one-shot commands keep SQLite's automatic checkpoint. */
  constructor(db: SqliteDatabase, options: { backgroundCheckpoints?: boolean | CheckpointerOptions } = {}) {
    this.db = db;
    this.queries = new SqliteRecordQueries(db);
    this.wal = new WalSync(db.name);
    this.index = new IndexRows(db);
    if (options.backgroundCheckpoints) {
      db.pragma("wal_autocheckpoint = 0");
      const tuning = options.backgroundCheckpoints === true ? {} : options.backgroundCheckpoints;
      this.checkpointer = new BackgroundCheckpointer(
        db.name,
        () => (this.restartWanted = true),
        () => {
          this.checkpointer = undefined;
          if (db.open) db.pragma("wal_autocheckpoint = 1000");
        },
        tuning,
      );
    }
    this.stmt = {
      size: db.prepare<[], number | null>("SELECT max(idx) + 1 FROM entries").pluck(),
      // substr() on a BLOB counts bytes and returns a BLOB (1-based offsets).
      hashAt: db.prepare<[number, number], Buffer | undefined>("SELECT substr(body, ?, 32) FROM entries WHERE idx = ?").pluck(),
      entry: db.prepare<[number, number], Buffer | undefined>("SELECT substr(body, ?) FROM entries WHERE idx = ?").pluck(),
      scan: db
        .prepare<[number, number], [number, Buffer]>(`SELECT idx, body FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ${SCAN_CHUNK}`)
        .raw(),
      insertEntry: db.prepare("INSERT INTO entries (idx, body) VALUES (?, ?)"),
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
    };
    this.writer = {
      size: () => this.size(),
      readHashes: (addresses) => this.readHashes(addresses),
      latestCheckpoint: () => this.latestCheckpoint(),
      indexedSize: () => this.indexedSize(),
      insertEntries: (start, writes) => this.insertEntries(start, writes),
      insertIndexRows: (start, rows) => this.index.insert(start, rows),
      insertCheckpoint: (cp) => void this.stmt.insertCheckpoint.run(cp.size, cp.root, cp.note, cp.signedAt),
    };
  }

  size(): number {
    return this.stmt.size.get() ?? 0;
  }

  readHashes(addresses: readonly SubtreeAddress[]): Buffer[] {
    return addresses.map((address) => {
      const { row, offset } = storageSlot(address);
      const hash = this.stmt.hashAt.get(offset + 1, row);
      if (hash === undefined || hash.length !== HASH_SIZE) {
        throw new ArbiterError("LEDGER_CORRUPT", `stored hash of subtree level ${address.level} index ${address.index} is missing (entry ${row})`, { index: row });
      }
      return hash;
    });
  }

  latestCheckpoint(): StoredCheckpoint | undefined {
    const row = this.stmt.latestCheckpoint.get();
    return row && toCheckpoint(row);
  }

  write<T>(fn: (writer: LedgerWriter) => T, options: { durable?: boolean } = {}): T {
    if (!options.durable) return this.db.transaction(() => fn(this.writer)).immediate();
    this.db.pragma("synchronous = FULL");
    try {
      return this.db.transaction(() => fn(this.writer)).immediate();
    } finally {
      this.db.pragma("synchronous = NORMAL");
    }
  }

  readConsistent<T>(fn: () => T): T {
    // A deferred transaction that only reads: the snapshot is taken at its first read and kept to its end.
    return this.db.transaction(fn).deferred();
  }

  async sync(): Promise<void> {
    await this.wal.sync();
    this.restartWalSoon();
  }

  syncNow(): void {
    this.wal.syncNow();
    this.restartWalSoon();
  }

  /** After the appends just synced are acknowledged, and outside any transaction. */
  private restartWalSoon(): void {
    if (!this.restartWanted) return;
    this.restartWanted = false;
    setImmediate(() => this.restartWal());
  }

  /**
   * Lets the next write start the WAL from its beginning. Run by the writer's own connection between
   * commits, so no write of ours can meet the lock it holds; the worker's passive rounds have already
   * copied nearly every frame, so it holds up the event loop only for the rest and one fsync of the
   * database. busy_timeout 0: a reader or checkpoint of another connection in the way makes it give up
   * at once (the worker asks again) rather than sleep on the event loop.
   */
  private restartWal(): void {
    if (!this.db.open) return;
    const timeout = this.db.pragma("busy_timeout", { simple: true }) as number;
    this.db.pragma("busy_timeout = 0");
    try {
      this.db.pragma("wal_checkpoint(RESTART)");
    } catch {
      // Busy or failed: the WAL keeps growing until the worker's next request; nothing is lost.
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  private insertEntries(start: number, writes: readonly EntryWrite[]): void {
    const size = this.size();
    if (size !== start) {
      throw new ArbiterError("LEDGER_CORRUPT", `append expected the ledger to hold ${start} entries, it holds ${size}`, { index: size });
    }
    // With the rows in this transaction record_index.record_id's UNIQUE constraint refuses a known id.
    this.index.insert(start, writes);
    writes.forEach((write, offset) => {
      const index = start + offset;
      this.stmt.insertEntry.run(index, Buffer.concat([write.hashes, write.data]));
      if (write.effects !== undefined) this.applyEffects(write.effects);
      for (const raw of write.raw) {
        this.stmt.insertRaw.run(raw.commitment, raw.recordId, raw.subjectId, raw.field, raw.salt, raw.value);
      }
    });
  }

  indexedSize(): number {
    return this.index.indexedSize();
  }

  entry(index: number): Buffer | undefined {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    return this.stmt.entry.get(completedHashCount(index) * HASH_SIZE + 1, index);
  }

  *entries(from: number, to: number): IterableIterator<StoredEntry> {
    for (let next = from; next < to; ) {
      const rows = this.stmt.scan.all(next, to);
      for (const [index, body] of rows) yield splitBody(index, body);
      if (rows.length < SCAN_CHUNK) return;
      next = (rows[rows.length - 1] as [number, Buffer])[0] + 1;
    }
  }

  indexRows(from: number, to: number): IterableIterator<StoredIndexRow> {
    return scanIndexRows(this.db, from, to);
  }

  firstIndexRowFrom(from: number): number | undefined {
    return this.queries.firstIndexRowFrom(from);
  }

  checkpoints(): StoredCheckpoint[] {
    return this.stmt.checkpoints.all().map(toCheckpoint);
  }

  checkpointAt(size: number): StoredCheckpoint | undefined {
    const row = this.stmt.checkpointAt.get(size);
    return row && toCheckpoint(row);
  }

  locateRecord(recordId: string): RecordLocation | undefined {
    return this.queries.locateRecord(recordId);
  }

  recordsBetween(fromTime: string, toTime: string): RecordLocation[] {
    return this.queries.recordsBetween(fromTime, toTime);
  }

  queryRecords(query: RecordQuery): RecordLocation[] {
    return this.queries.queryRecords(query);
  }

  countRecords(query: RecordFilter, bucket: TimeBucket): RecordCount[] {
    return this.queries.countRecords(query, bucket);
  }

  countActions(query: RecordFilter): ActionCount[] {
    return this.queries.countActions(query);
  }

  rawValuesOf(recordId: string): RawValueRow[] {
    return this.queries.rawValuesOf(recordId);
  }

  countRawValues(selector: RawValueSelector): number {
    return this.queries.countRawValues(selector);
  }

  eraseRawValues(selector: RawValueSelector): number {
    return this.queries.eraseRawValues(selector);
  }

  private applyEffects(effects: readonly StoreEffect[]): void {
    (this.effects ??= new SqliteEffects(this.db, this.queries)).applyAll(effects);
  }

  truncateWal(): boolean {
    const [result] = this.db.pragma("wal_checkpoint(TRUNCATE)") as { busy: number; log: number; checkpointed: number }[];
    return result !== undefined && result.busy === 0;
  }

  close(): void {
    this.wal.close();
    if (this.checkpointer) {
      void this.checkpointer.stop();
      this.checkpointer = undefined;
      // The worker's final checkpoint may still run; ours makes sure the WAL is folded in before we go.
      this.db.pragma("wal_autocheckpoint = 1000");
      this.db.pragma("wal_checkpoint(PASSIVE)");
    }
    this.db.close();
  }
}
