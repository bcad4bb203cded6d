// The ledger's tables in PostgreSQL, on the synchronous connection: the same contract as the SQLite
// store, with each append shipped as a few multi-row statements in one round trip.
import { ArbiterError } from "../../record/errors.js";
import type {
  ActionCount,
  EntryWrite,
  IndexWrite,
  LedgerStore,
  LedgerWriter,
  RawValueRow,
  RawValueSelector,
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
import { HASH_SIZE, completedHashCount, splitBody, storageSlot } from "../sqlite/entry-layout.js";
import type { PgConnection, PgStatement } from "./connection.js";
import { SIZE, appendStatements, assertAppendable, rawInsert, type AppendCheck } from "./entry-writes.js";
import { INDEXED_SIZE, assertIndexedFrom, duplicateRecordId, indexRowStatements, repeatedId } from "./index-rows.js";
import { scanIndexRows } from "./index-scan.js";
import { PgRecordQueries } from "./record-queries.js";

/** Entries read per query while scanning: one round trip per entry costs more than the entry itself. */
const SCAN_CHUNK = 4096;

/** Appends of every process on one schema take this lock first, so they integrate in commit order. */
const WRITE_LOCK: PgStatement = { text: "SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))", values: ["arbiter.ledger"] };

const CHECKPOINT_COLUMNS = "size, root, note, signed_at";

interface CheckpointRow {
  size: number;
  root: Buffer;
  note: string;
  signed_at: string;
}

function toCheckpoint(row: CheckpointRow): StoredCheckpoint {
  return { size: row.size, root: row.root, note: row.note, signedAt: row.signed_at };
}

export interface PgLedgerStoreOptions {
  /** The store's effects dispatcher: applies an entry's effects inside the transaction that inserts it. */
  applyEffects?: (effects: readonly StoreEffect[]) => void;
}

export class PgLedgerStore implements LedgerStore {
  private readonly queries: PgRecordQueries;
  private readonly writer: LedgerWriter;
  private readonly applyEffects: ((effects: readonly StoreEffect[]) => void) | undefined;
  /**
   * size() and indexedSize() as the open write transaction sees them, read together on the first ask:
   * under the write lock only this transaction moves them, so each append's transaction reads them in
   * one round trip instead of the three its callers ask for (the indexer's catch-up, then the Ledger).
   */
  private marks: { size: number; indexed: number } | undefined;
  /** Inside write(): a nested write() runs in it, and the marks stay valid until it returns. */
  private writing = false;

  constructor(
    private readonly conn: PgConnection,
    options: PgLedgerStoreOptions = {},
  ) {
    this.queries = new PgRecordQueries(conn);
    this.applyEffects = options.applyEffects;
    // A commit is durable (flushed to the server's WAL) when COMMIT returns: sync() has nothing left to wait for.
    conn.setting("SET synchronous_commit = on");
    this.writer = {
      size: () => this.marksInWrite().size,
      readHashes: (addresses) => this.readHashes(addresses),
      latestCheckpoint: () => this.latestCheckpoint(),
      indexedSize: () => this.marksInWrite().indexed,
      insertEntries: (start, writes) => this.insertEntries(start, writes),
      insertIndexRows: (start, rows) => this.insertIndexRows(start, rows),
      insertCheckpoint: (cp) =>
        // Unique per size: a second checkpoint of a size is refused and the first kept, as SQLite's INSERT OR IGNORE.
        void this.conn.query(`INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`, [
          cp.size, cp.root, cp.note, cp.signedAt,
        ]),
    };
  }

  size(): number {
    return this.conn.query<{ n: number | null }>(`SELECT ${SIZE} AS n`)[0]?.n ?? 0;
  }

  indexedSize(): number {
    return this.conn.query<{ n: number | null }>(`SELECT ${INDEXED_SIZE} AS n`)[0]?.n ?? 0;
  }

  readHashes(addresses: readonly SubtreeAddress[]): Buffer[] {
    if (addresses.length === 0) return [];
    const slots = addresses.map(storageSlot);
    // One query for every address; substring() on bytea counts bytes from 1.
    const rows = this.conn.query<{ hash: Buffer | null }>(
      `SELECT substring(e.body FROM a.off + 1 FOR ${HASH_SIZE}) AS hash
       FROM unnest($1::bigint[], $2::int[]) WITH ORDINALITY AS a(row, off, ord) LEFT JOIN entries e ON e.idx = a.row ORDER BY a.ord`,
      [slots.map((s) => s.row), slots.map((s) => s.offset)],
    );
    return addresses.map((address, i) => {
      const hash = rows[i]?.hash;
      if (hash === null || hash === undefined || hash.length !== HASH_SIZE) {
        const row = (slots[i] as { row: number }).row;
        throw new ArbiterError("LEDGER_CORRUPT", `stored hash of subtree level ${address.level} index ${address.index} is missing (entry ${row})`, { index: row });
      }
      return hash;
    });
  }

  latestCheckpoint(): StoredCheckpoint | undefined {
    const [row] = this.conn.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY size DESC LIMIT 1`);
    return row && toCheckpoint(row);
  }

  /**
   * One transaction that first takes the ledger's write lock: replicas on one database append one
   * after the other, and each re-reads the size inside (the Ledger reloads its edge when another
   * appended). `durable` changes nothing: with synchronous_commit on, every commit is durable.
   */
  write<T>(fn: (writer: LedgerWriter) => T, _options: { durable?: boolean } = {}): T {
    if (this.writing) return fn(this.writer);
    this.writing = true;
    this.marks = undefined;
    try {
      if (!this.conn.inTransaction) return this.conn.transaction(() => fn(this.writer), { first: [WRITE_LOCK] });
      // Joined to another repository's transaction: the lock is taken now and held to its end.
      return this.conn.transaction(() => {
        this.conn.batch([WRITE_LOCK]);
        return fn(this.writer);
      });
    } finally {
      this.writing = false;
      this.marks = undefined;
    }
  }

  private marksInWrite(): { size: number; indexed: number } {
    if (this.marks) return this.marks;
    const [row] = this.conn.query<{ size: number | null; indexed: number | null }>(`SELECT ${SIZE} AS size, ${INDEXED_SIZE} AS indexed`);
    return (this.marks = { size: row?.size ?? 0, indexed: row?.indexed ?? 0 });
  }

  readConsistent<T>(fn: () => T): T {
    return this.conn.transaction(fn, { begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" });
  }

  /** Commits are durable when COMMIT returns (synchronous_commit = on), so there is nothing to wait for. */
  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** The same as sync(): a returned commit is on the server's stable storage already. */
  syncNow(): void {}

  /**
   * Inserts the entries, their raw values and their index rows in one round trip that
   * starts with the checks; when a check fails the transaction rolls back whatever the round trip
   * wrote. Effects run in entry order, each after the raw values of the entries before its own, as in
   * SQLite (an erasure counts those); an entry with effects splits the round trip there. Every entry
   * row of the append is in before the first effect runs: no effect reads the entries table.
   */
  private insertEntries(start: number, writes: readonly EntryWrite[]): void {
    const repeated = repeatedId(writes);
    if (repeated !== undefined) throw duplicateRecordId(repeated);
    this.marks = undefined;
    const pending = appendStatements(start, writes);
    let raws: RawValueRow[] = [];
    let checked = false;
    const flush = (): void => {
      if (raws.length > 0) pending.push(rawInsert(raws, !checked));
      raws = [];
      const results = this.conn.batch(pending.splice(0));
      if (!checked) assertAppendable(start, writes, (results[0] as AppendCheck[])[0]);
      checked = true;
    };
    for (const write of writes) {
      if (write.effects !== undefined) {
        flush();
        this.applyEffectsOf(write.effects);
      }
      raws.push(...write.raw);
    }
    if (!checked || raws.length > 0) flush();
    const end = start + writes.length;
    this.marks = { size: end, indexed: end };
  }

  private insertIndexRows(start: number, rows: readonly IndexWrite[]): void {
    const marks = this.marks;
    this.marks = undefined;
    const [check] = this.conn.batch([{ text: `SELECT ${INDEXED_SIZE} AS indexed` }, ...indexRowStatements(start, rows, "ON CONFLICT (idx) DO NOTHING")]) as [
      { indexed: number | null }[],
    ];
    assertIndexedFrom(check[0]?.indexed ?? 0, start);
    if (marks) this.marks = { size: marks.size, indexed: start + rows.length };
  }

  private applyEffectsOf(effects: readonly StoreEffect[]): void {
    if (!this.applyEffects) {
      throw new ArbiterError("LEDGER_UNAVAILABLE", "the ledger could not record the entry: this PostgreSQL ledger store was opened without the store's repositories, so it cannot apply the entry's effects");
    }
    this.applyEffects(effects);
  }

  entry(index: number): Buffer | undefined {
    if (!Number.isSafeInteger(index) || index < 0) return undefined;
    const [row] = this.conn.query<{ data: Buffer }>("SELECT substring(body FROM $1::int) AS data FROM entries WHERE idx = $2", [
      completedHashCount(index) * HASH_SIZE + 1,
      index,
    ]);
    return row?.data;
  }

  *entries(from: number, to: number): IterableIterator<StoredEntry> {
    for (let next = from; next < to; ) {
      const rows = this.conn.query<{ idx: number; body: Buffer }>(`SELECT idx, body FROM entries WHERE idx >= $1 AND idx < $2 ORDER BY idx LIMIT ${SCAN_CHUNK}`, [
        next,
        to,
      ]);
      for (const { idx, body } of rows) yield splitBody(idx, body);
      if (rows.length < SCAN_CHUNK) return;
      next = (rows[rows.length - 1] as { idx: number }).idx + 1;
    }
  }

  indexRows(from: number, to: number): IterableIterator<StoredIndexRow> {
    return scanIndexRows(this.conn, from, to);
  }

  firstIndexRowFrom(from: number): number | undefined {
    return this.queries.firstIndexRowFrom(from);
  }

  checkpoints(): StoredCheckpoint[] {
    return this.conn.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY size`).map(toCheckpoint);
  }

  checkpointAt(size: number): StoredCheckpoint | undefined {
    const [row] = this.conn.query<CheckpointRow>(`SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE size = $1`, [size]);
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

  /**
   * PostgreSQL keeps a deleted row's old version in the table's pages until VACUUM removes it; this
   * vacuums raw_values (with its TOAST table and indexes) so that erased values no longer sit in live
   * pages. It does not reach what PostgreSQL keeps elsewhere: WAL segments not yet recycled, base
   * backups, replicas, nor bytes left in free space of a page; and a transaction older than the
   * erasure still holding its snapshot keeps the rows it can see. False inside a transaction, where
   * VACUUM cannot run.
   */
  truncateWal(): boolean {
    if (this.conn.inTransaction) return false;
    this.conn.query("VACUUM (INDEX_CLEANUP ON) raw_values");
    return true;
  }

  close(): void {
    this.conn.close();
  }
}
