// Schema 1: ledger entries, checkpoints, the record index and erasable raw values.
import type { Migration } from "./migration.js";

export const ledgerMigration: Migration = {
  version: 1,
  description: "ledger entries, checkpoints, record index and erasable raw values",
  sql: `
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    -- body: the hashes this leaf completed (its leaf hash, then each parent it completed: 1 + the
    -- trailing zero bits of idx + 1 of them, 32 bytes each), then the leaf bytes. One blob per row
    -- because reading a second blob column doubled the cost of a full verify (measured).
    CREATE TABLE entries (idx INTEGER PRIMARY KEY, body BLOB NOT NULL) STRICT;

    -- Derived from the leaves (rebuildable), for queries; evidence is only ever the leaf itself.
    CREATE TABLE record_index (
      record_id TEXT PRIMARY KEY,
      idx INTEGER NOT NULL,
      kind TEXT NOT NULL,
      time TEXT NOT NULL,
      subject_id TEXT,
      action TEXT,
      resource_id TEXT,
      outcome TEXT,
      reason_code TEXT,
      control TEXT,
      policy_version TEXT,
      trace_id TEXT,
      task_id TEXT,
      decision_id TEXT
    ) STRICT;
    CREATE INDEX record_index_time ON record_index(time);
    CREATE INDEX record_index_subject ON record_index(subject_id, time);
    CREATE INDEX record_index_trace ON record_index(trace_id) WHERE trace_id IS NOT NULL;
    CREATE INDEX record_index_decision ON record_index(decision_id) WHERE decision_id IS NOT NULL;
    CREATE TABLE record_policies (
      policy_id TEXT NOT NULL,
      idx INTEGER NOT NULL,
      PRIMARY KEY (policy_id, idx)
    ) STRICT, WITHOUT ROWID;

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
};
