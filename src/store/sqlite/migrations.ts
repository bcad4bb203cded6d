// Ordered schema migrations of the embedded store; PRAGMA user_version counts those applied.

export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const STORE_FORMAT = "arbiter-store/v1";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "ledger entries, checkpoints, record index and erasable raw values",
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      -- body: the hashes this leaf completed (its leaf hash, then each parent it completed: 1 + the
      -- trailing zero bits of idx + 1 of them, 32 bytes each), then the leaf bytes. One blob per row
      -- because reading a second blob column doubled the cost of a full verify (measured).
      CREATE TABLE entries (idx INTEGER PRIMARY KEY, body BLOB NOT NULL) STRICT;
      CREATE TABLE record_index (
        record_id TEXT PRIMARY KEY,
        idx INTEGER NOT NULL,
        kind TEXT NOT NULL,
        time TEXT NOT NULL,
        subject_id TEXT
      ) STRICT;
      CREATE INDEX record_index_time ON record_index(time);
      CREATE INDEX record_index_subject ON record_index(subject_id);
      CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL,
        note TEXT NOT NULL,
        signed_at TEXT NOT NULL
      ) STRICT;
      -- Raw sensitive values live outside the leaves so that erasing them leaves every proof valid.
      CREATE TABLE raw_values (
        commitment TEXT PRIMARY KEY,
        record_id TEXT NOT NULL,
        subject_id TEXT,
        field TEXT NOT NULL,
        salt TEXT NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
      CREATE INDEX raw_values_record ON raw_values(record_id);
      CREATE INDEX raw_values_subject ON raw_values(subject_id);
    `,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
