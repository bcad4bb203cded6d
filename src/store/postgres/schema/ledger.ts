// Tables of the ledger (entries, tree hashes, raw values, checkpoints, record_index, record_policies), in PostgreSQL's dialect.
// The embedded store's schema as of its migrations 1, 6, 7 and 9. Every text column is COLLATE "C":
// SQLite compares text byte by byte, and RFC 3339 times, bucket prefixes and policy ids must sort
// the same here whatever the database's default collation is (a locale collation ignores punctuation).
export const LEDGER_TABLES: readonly string[] = [
  // body: the hashes this leaf completed (its leaf hash, then each parent: 1 + the trailing zero bits
  // of idx + 1 of them, 32 bytes each), then the leaf bytes; one value per row, as in SQLite.
  "CREATE TABLE entries (idx BIGINT PRIMARY KEY, body BYTEA NOT NULL)",

  // Derived from the leaves (rebuildable), for queries; keyed by ledger index so that listings read newest first.
  `CREATE TABLE record_index (
    idx BIGINT PRIMARY KEY,
    record_id TEXT COLLATE "C" NOT NULL UNIQUE,
    kind TEXT COLLATE "C" NOT NULL,
    time TEXT COLLATE "C" NOT NULL,
    subject_id TEXT COLLATE "C",
    action TEXT COLLATE "C",
    resource_id TEXT COLLATE "C",
    outcome TEXT COLLATE "C",
    reason_code TEXT COLLATE "C",
    control TEXT COLLATE "C",
    policy_version TEXT COLLATE "C",
    trace_id TEXT COLLATE "C",
    task_id TEXT COLLATE "C",
    decision_id TEXT COLLATE "C",
    subject_type TEXT COLLATE "C",
    subject_owner TEXT COLLATE "C"
  )`,
  "CREATE INDEX record_index_time ON record_index (time)",
  "CREATE INDEX record_index_subject ON record_index (subject_id, time)",
  "CREATE INDEX record_index_trace ON record_index (trace_id) WHERE trace_id IS NOT NULL",
  "CREATE INDEX record_index_decision ON record_index (decision_id) WHERE decision_id IS NOT NULL",
  // SQLite's index carries the rowid (idx) implicitly; a filtered console listing reads it newest first.
  "CREATE INDEX record_index_subject_type ON record_index (subject_type, idx) WHERE subject_type IS NOT NULL",
  "CREATE INDEX record_index_subject_owner ON record_index (subject_owner, idx) WHERE subject_owner IS NOT NULL",
  `CREATE TABLE record_policies (
    policy_id TEXT COLLATE "C" NOT NULL,
    idx BIGINT NOT NULL,
    PRIMARY KEY (policy_id, idx)
  )`,

  `CREATE TABLE checkpoints (
    size BIGINT PRIMARY KEY,
    root BYTEA NOT NULL,
    note TEXT NOT NULL,
    signed_at TEXT COLLATE "C" NOT NULL
  )`,

  // Raw sensitive values live outside the leaves so that erasing them leaves every proof valid;
  // keyed by record and field (record ids grow with time), not by the random commitment.
  `CREATE TABLE raw_values (
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    commitment TEXT NOT NULL,
    subject_id TEXT COLLATE "C",
    salt TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (record_id, field)
  )`,
  "CREATE INDEX raw_values_subject ON raw_values (subject_id)",
];
