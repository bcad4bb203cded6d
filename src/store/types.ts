// The persistence contract of the ledger: what any store (SQLite, PostgreSQL) must provide.

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

export interface EntryWrite {
  data: Buffer;
  hashes: Buffer;
  recordId: string;
  kind: string;
  time: string;
  subjectId: string | null;
  raw: readonly RawValueRow[];
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

/** Reads that are valid at any moment; a write transaction sees the same through LedgerWriter. */
export interface LedgerReader {
  /** Number of entries; entries are numbered 0..size-1 with no gaps. */
  size(): number;
  /** Stored hashes of perfect subtrees, in the order asked. Throws LEDGER_CORRUPT if one is missing. */
  readHashes(addresses: readonly SubtreeAddress[]): Buffer[];
  /** The latest signed checkpoint, or undefined if none was ever signed. */
  latestCheckpoint(): StoredCheckpoint | undefined;
}

export interface LedgerWriter extends LedgerReader {
  /** Inserts entries starting at `start`, which must equal size(). */
  insertEntries(start: number, writes: readonly EntryWrite[]): void;
  insertCheckpoint(checkpoint: StoredCheckpoint): void;
}

export interface LedgerStore extends LedgerReader {
  /** Runs fn in one exclusive, durable transaction: all of it is on disk when write returns, or none of it. */
  write<T>(fn: (writer: LedgerWriter) => T): T;
  /** The exact leaf bytes of entry `index`, or undefined past the end. */
  entry(index: number): Buffer | undefined;
  /** Entries in index order from `from` (inclusive) to `to` (exclusive), as stored (gaps and all). */
  entries(from: number, to: number): IterableIterator<StoredEntry>;
  /** Every stored checkpoint in size order. */
  checkpoints(): StoredCheckpoint[];
  checkpointAt(size: number): StoredCheckpoint | undefined;
  locateRecord(recordId: string): RecordLocation | undefined;
  recordsBetween(fromTime: string, toTime: string): RecordLocation[];
  rawValuesOf(recordId: string): RawValueRow[];
  /** Deletes raw values of a subject or a record; returns how many were deleted. */
  eraseRawValues(selector: { subjectId: string } | { recordId: string }): number;
  close(): void;
}
