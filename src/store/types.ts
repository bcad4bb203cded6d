// The persistence contract of the ledger: what any store (SQLite, PostgreSQL) must provide.
import type { StoreEffect } from "./contracts/effects.js";

/** A perfect Merkle subtree: level L, index k covers leaves [k*2^L, (k+1)*2^L). */
export interface SubtreeAddress {
  level: number;
  index: number;
}

/** One stored leaf: its exact bytes and the hashes it completed (leaf hash first, then parents). */
export interface StoredEntry {
  index: number;
  data: Buffer;
  hashes: Buffer;
}

/** A raw sensitive value kept outside the leaf, keyed by its salted commitment. */
export interface RawValueRow {
  commitment: string;
  recordId: string;
  subjectId: string | null;
  field: string;
  salt: string;
  value: string;
}

/** Query columns of a record, derived from its leaf. */
export interface RecordIndexFields {
  subjectId: string | null;
  action: string | null;
  resourceId: string | null;
  outcome: string | null;
  reasonCode: string | null;
  control: string | null;
  policyVersion: string | null;
  determining: readonly string[];
  traceId: string | null;
  taskId: string | null;
  decisionId: string | null;
  /** Of decisions only: the subject's identity type and owner as the decision recorded them. */
  subjectType: string | null;
  subjectOwner: string | null;
}

/** What the query tables hold for one ledger index, as stored (verify recomputes it from the leaf). */
export interface StoredIndexRow {
  index: number;
  /** The record_index row as a JSON array of INDEX_ROW_COLUMNS; absent when only record_policies names this index. */
  located?: string;
  /** record_policies rows of this index, in no particular order. */
  determining: string[];
}

/** Which raw values an erasure removes: every one recorded for a subject, or those of one record. */
export type RawValueSelector = { subjectId: string } | { recordId: string };

/** One entry's query-table rows (record_index, record_policies): derived from its leaf, never the other way round. */
export interface IndexWrite {
  recordId: string;
  kind: string;
  time: string;
  fields: RecordIndexFields;
}

export interface EntryWrite extends IndexWrite {
  data: Buffer;
  hashes: Buffer;
  raw: readonly RawValueRow[];
  /**
   * State changes that must commit together with this entry (an identity revoked with its
   * lifecycle record, a grant consumed with its decision), as data: the store applies them in
   * order inside the transaction that inserts the entry, and one that throws (CONFLICT) refuses the
   * entry with every effect before it.
   */
  effects?: readonly StoreEffect[];
}

export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  note: string;
  signedAt: string;
}

export interface RecordLocation {
  recordId: string;
  index: number;
  kind: string;
  time: string;
  subjectId: string | null;
}

/** Filters over the record index; every given filter must hold. Times are RFC 3339 (from inclusive, to exclusive). */
export interface RecordQuery {
  kind?: string;
  subjectId?: string;
  action?: string;
  resourceId?: string;
  outcome?: string;
  reasonCode?: string;
  control?: string;
  policyId?: string;
  policyVersion?: string;
  traceId?: string;
  taskId?: string;
  decisionId?: string;
  subjectType?: string;
  subjectOwner?: string;
  from?: string;
  to?: string;
  /** Only entries with index below this (for paging backwards from the newest). */
  before?: number;
  limit: number;
}

/** A record query without paging: what counting by time bucket takes. */
export type RecordFilter = Omit<RecordQuery, "limit"> & { limit?: number };

/** How finely countRecords groups times. */
export type TimeBucket = "day" | "hour" | "minute";

export const TIME_BUCKET_CHARS: Record<TimeBucket, number> = { day: 10, hour: 13, minute: 16 };

/** Records of one time bucket (its start as the truncated RFC 3339 text), outcome and control. */
export interface RecordCount {
  bucket: string;
  outcome: string | null;
  control: string | null;
  count: number;
}

/** Matching records of one action: how many, and the newest one's time. */
export interface ActionCount {
  action: string;
  count: number;
  last: string;
}

/** Reads that are valid at any moment; a write transaction sees the same through LedgerWriter. */
export interface LedgerReader {
  /** Number of entries; entries are numbered 0..size-1 with no gaps. */
  size(): number;
  /** Stored hashes of perfect subtrees, in the order asked. Throws LEDGER_CORRUPT if one is missing. */
  readHashes(addresses: readonly SubtreeAddress[]): Buffer[];
  /** The latest signed checkpoint, or undefined if none was ever signed. */
  latestCheckpoint(): StoredCheckpoint | undefined;
  /**
   * The query tables' high-water mark: entries below it have their rows. Entries at or above it (up
   * to size()) are durable but not yet indexed: written without their rows (by an earlier version,
   * which indexed after the acknowledgement), they are indexed by the next writer (RecordIndexer).
   */
  indexedSize(): number;
}

export interface LedgerWriter extends LedgerReader {
  /**
   * Inserts entries (leaf, tree hashes, raw values, effect) and their query-table rows starting at
   * `start`, which must equal both size() and indexedSize(): the caller indexes every earlier entry
   * first (insertIndexRows). Refuses a record id already in the ledger.
   */
  insertEntries(start: number, writes: readonly EntryWrite[]): void;
  /** Inserts the query-table rows of entries from `start`, which must equal indexedSize(): a gap an older version left. */
  insertIndexRows(start: number, rows: readonly IndexWrite[]): void;
  insertCheckpoint(checkpoint: StoredCheckpoint): void;
}

export interface LedgerStore extends LedgerReader {
  /**
   * Runs fn in one exclusive transaction: all of it is committed when write returns, or none of it.
   * Committed is not yet durable: call sync() (appends) or pass durable (rare writes that must not wait).
   *
   * Synchronous because SQLite is, and it measures best on the hot path: one transaction per
   * group-commit batch, prepared statements, no promise per row. Everything a batch writes is data
   * (leaf bytes, hashes, raw values, StoreEffects; no closure), so the PostgreSQL store ships a batch
   * as a few multi-row statements in one round trip, after an advisory lock that makes replicas
   * append one after the other (integration order is commit order).
   */
  write<T>(fn: (writer: LedgerWriter) => T, options?: { durable?: boolean }): T;
  /** Resolves once every transaction committed before the call is on stable storage. */
  sync(): Promise<void>;
  /** The same, blocking the calling thread until it is done. */
  syncNow(): void;
  /** The exact leaf bytes of entry `index`, or undefined past the end. */
  entry(index: number): Buffer | undefined;
  /** Entries in index order from `from` (inclusive) to `to` (exclusive), as stored (gaps and all). */
  entries(from: number, to: number): IterableIterator<StoredEntry>;
  /** The query tables' rows (record_index, record_policies) for from <= index < to, in index order. */
  indexRows(from: number, to: number): IterableIterator<StoredIndexRow>;
  /** The lowest index at or above `from` that the record index names, if any. */
  firstIndexRowFrom(from: number): number | undefined;
  /** Every stored checkpoint in size order. */
  checkpoints(): StoredCheckpoint[];
  checkpointAt(size: number): StoredCheckpoint | undefined;
  locateRecord(recordId: string): RecordLocation | undefined;
  recordsBetween(fromTime: string, toTime: string): RecordLocation[];
  /** Matching records, newest first. */
  queryRecords(query: RecordQuery): RecordLocation[];
  /** Matching records counted by time bucket, outcome and control, oldest bucket first. */
  countRecords(query: RecordFilter, bucket: TimeBucket): RecordCount[];
  /** Matching records counted by action (records without one left out), in action order. */
  countActions(query: RecordFilter): ActionCount[];
  rawValuesOf(recordId: string): RawValueRow[];
  /** How many raw values a subject or a record has. */
  countRawValues(selector: RawValueSelector): number;
  /** Deletes raw values of a subject or a record; returns how many were deleted. Run inside write() (Ledger.erase). */
  eraseRawValues(selector: RawValueSelector): number;
  /**
   * Copies every WAL frame into the database and empties the WAL file, so that page images written
   * before an erasure are gone from disk; false when a reader kept it from finishing.
   */
  truncateWal(): boolean;
  /**
   * Runs `fn` in one read transaction, so that every read it makes sees the same snapshot of the
   * store: a check that reads entries, hashes and index rows in many statements must not see a
   * commit land between two of them (a verify running beside a server that appends).
   */
  readConsistent<T>(fn: () => T): T;
  close(): void;
}

/**
 * One counter of a rate limit or a quota, as a store keeps it: `value` (tokens left, or units used)
 * as of `atMs` (the bucket's last update, or the window's start). At `expiresMs` the counter is the
 * same as none (a full bucket, an ended window), so a store may drop it then.
 */
export interface LimitCounter {
  value: number;
  atMs: number;
  expiresMs: number;
}

/** What a change to limit counters writes: a new counter per index of the keys it was given; absent ones stay. */
export interface LimitCounterChange<T> {
  writes: ReadonlyMap<number, LimitCounter>;
  result: T;
}

/**
 * Counters shared by every process on one data directory. `update` is atomic: no other update of
 * any process runs between its read and its write.
 */
export interface LimitCounterTable {
  /**
   * Reads the counters of `keys` (undefined where there is none, or it expired by `nowMs`), hands
   * them to `change` and writes what it returns, in one step.
   */
  update<T>(keys: readonly string[], nowMs: number, change: (counters: readonly (LimitCounter | undefined)[]) => LimitCounterChange<T>): T;
}
