// The ledger's tables in SQLite: better-sqlite3 prepared statements, synchronous by design.
// Kysely is not used here: group commit must run one synchronous transaction per batch, and the
// async query builder would add a promise per statement on the hottest path of the product.
import type { Statement } from "better-sqlite3";
import { ArbiterError } from "../../record/errors.js";
import {
  TIME_BUCKET_CHARS,
  type EntryWrite,
  type LedgerStore,
  type LedgerWriter,
  type RawValueRow,
  type RawValueSelector,
  type RecordCount,
  type RecordFilter,
  type RecordLocation,
  type RecordQuery,
  type StoredCheckpoint,
  type StoredEntry,
  type StoredIndexRow,
  type SubtreeAddress,
  type TimeBucket,
} from "../types.js";
import type { SqliteDatabase } from "./database.js";
import { BackgroundCheckpointer, type CheckpointerOptions } from "./checkpointer.js";
import { scanIndexRows } from "./index-scan.js";
import { WalSync } from "./wal-sync.js";

const HASH_SIZE = 32;
/** Rows read per query while scanning: one query per row costs more than the row itself. */
const SCAN_CHUNK = 8192;

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

/** How many hashes entry `index` completed: its leaf hash and one parent per trailing 1 bit of index. */
export function completedHashCount(index: number): number {
  let count = 1;
  for (let n = index + 1; n % 2 === 0; n /= 2) count++;
  return count;
}

function splitBody(index: number, body: Buffer): StoredEntry {
  const split = Math.min(body.length, completedHashCount(index) * HASH_SIZE);
  return { index, hashes: body.subarray(0, split), data: body.subarray(split) };
}

/** The entry that completes a perfect subtree stores its root: entry (k+1)*2^L - 1, slot L. */
function storageSlot(address: SubtreeAddress): { row: number; offset: number } {
  return { row: (address.index + 1) * 2 ** address.level - 1, offset: address.level * HASH_SIZE };
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    size: Statement<[], number | null>;
    hashAt: Statement<[number, number], Buffer | undefined>;
    entry: Statement<[number, number], Buffer | undefined>;
    scan: Statement<[number, number], [number, Buffer]>;
    insertEntry: Statement<[number, Buffer]>;
    insertLocation: Statement<unknown[]>;
    insertPolicy: Statement<[string, number]>;
    insertRaw: Statement<[string, string, string | null, string, string, string]>;
    latestCheckpoint: Statement<[], CheckpointRow | undefined>;
    checkpoints: Statement<[], CheckpointRow>;
    checkpointAt: Statement<[number], CheckpointRow | undefined>;
    insertCheckpoint: Statement<[number, Buffer, string, string]>;
    locate: Statement<[string], LocationRow | undefined>;
    between: Statement<[string, string], LocationRow>;
    rawOf: Statement<[string], RawValueRow>;
    eraseBySubject: Statement<[string]>;
    countBySubject: Statement<[string], { n: number }>;
    countByRecord: Statement<[string], { n: number }>;
    eraseByRecord: Statement<[string]>;
  };
  private readonly writer: LedgerWriter;
  private readonly wal: WalSync;
  private checkpointer: BackgroundCheckpointer | undefined;
  /** The checkpointer found the WAL long: restart it after the next fsync (see restartWal). */
  private restartWanted = false;

  /** backgroundCheckpoints: for long-running processes; one-shot commands keep SQLite's automatic checkpoint. */
  constructor(db: SqliteDatabase, options: { backgroundCheckpoints?: boolean | CheckpointerOptions } = {}) {
    this.db = db;
    this.wal = new WalSync(db.name);
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
      insertLocation: db.prepare(
        `INSERT INTO record_index (record_id, idx, kind, time, subject_id, action, resource_id, outcome, reason_code,
           control, policy_version, trace_id, task_id, decision_id, subject_type, subject_owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertPolicy: db.prepare("INSERT OR IGNORE INTO record_policies (policy_id, idx) VALUES (?, ?)"),
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
      countBySubject: db.prepare("SELECT count(*) AS n FROM raw_values WHERE subject_id = ?"),
      countByRecord: db.prepare("SELECT count(*) AS n FROM raw_values WHERE record_id = ?"),
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
    writes.forEach((write, offset) => {
      const index = start + offset;
      this.stmt.insertEntry.run(index, Buffer.concat([write.hashes, write.data]));
      write.effect?.();
      const f = write.fields;
      this.stmt.insertLocation.run(write.recordId, index, write.kind, write.time, f.subjectId, f.action, f.resourceId,
        f.outcome, f.reasonCode, f.control, f.policyVersion, f.traceId, f.taskId, f.decisionId, f.subjectType, f.subjectOwner);
      for (const policyId of f.determining) this.stmt.insertPolicy.run(policyId, index);
      for (const raw of write.raw) {
        this.stmt.insertRaw.run(raw.commitment, raw.recordId, raw.subjectId, raw.field, raw.salt, raw.value);
      }
    });
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
    const first = this.db
      .prepare<[number, number], number | null>("SELECT min(idx) FROM (SELECT idx FROM record_index WHERE idx >= ? UNION ALL SELECT idx FROM record_policies WHERE idx >= ?)")
      .pluck()
      .get(from, from);
    return first ?? undefined;
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

  /** The WHERE clause of a record query, built from fixed column names only; every value is a bound parameter. */
  private whereOf(query: RecordFilter): { sql: string; params: (string | number)[] } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const equal: [keyof RecordFilter, string][] = [
      ["kind", "kind"], ["subjectId", "subject_id"], ["action", "action"], ["resourceId", "resource_id"],
      ["outcome", "outcome"], ["reasonCode", "reason_code"], ["control", "control"], ["policyVersion", "policy_version"],
      ["traceId", "trace_id"], ["taskId", "task_id"], ["decisionId", "decision_id"], ["subjectType", "subject_type"],
      ["subjectOwner", "subject_owner"],
    ];
    for (const [key, column] of equal) {
      const value = query[key];
      if (typeof value === "string") {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (query.policyId !== undefined) {
      where.push("idx IN (SELECT idx FROM record_policies WHERE policy_id = ?)");
      params.push(query.policyId);
    }
    if (query.from !== undefined) {
      where.push("time >= ?");
      params.push(query.from);
    }
    if (query.to !== undefined) {
      where.push("time < ?");
      params.push(query.to);
    }
    if (query.before !== undefined) {
      where.push("idx < ?");
      params.push(query.before);
    }
    return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
  }

  queryRecords(query: RecordQuery): RecordLocation[] {
    const where = this.whereOf(query);
    const sql = `SELECT record_id, idx, kind, time, subject_id FROM record_index ${where.sql} ORDER BY idx DESC LIMIT ?`;
    return this.db.prepare<unknown[], LocationRow>(sql).all(...where.params, query.limit).map(toLocation);
  }

  countRecords(query: RecordFilter, bucket: TimeBucket): RecordCount[] {
    const where = this.whereOf(query);
    // RFC 3339 times in UTC sort and truncate as text: the first 10, 13 or 16 characters are the day, hour or minute.
    const sql = `SELECT substr(time, 1, ${TIME_BUCKET_CHARS[bucket]}) AS bucket, outcome, control, count(*) AS count
      FROM record_index ${where.sql} GROUP BY 1, 2, 3 ORDER BY 1`;
    return this.db.prepare<unknown[], RecordCount>(sql).all(...where.params);
  }

  rawValuesOf(recordId: string): RawValueRow[] {
    return this.stmt.rawOf.all(recordId);
  }

  countRawValues(selector: RawValueSelector): number {
    const row = "subjectId" in selector ? this.stmt.countBySubject.get(selector.subjectId) : this.stmt.countByRecord.get(selector.recordId);
    return row?.n ?? 0;
  }

  eraseRawValues(selector: RawValueSelector): number {
    const result =
      "subjectId" in selector
        ? this.stmt.eraseBySubject.run(selector.subjectId)
        : this.stmt.eraseByRecord.run(selector.recordId);
    return result.changes;
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
