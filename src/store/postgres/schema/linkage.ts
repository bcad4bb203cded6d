// Tables of linkage runs and their rows (SQLite migration 005), in PostgreSQL's dialect. The limit
// counters (012) and the stream positions (011) are here too: like the linkage tables, they are rows
// this store keeps beside the ledger, never committed with an entry, so one file holds them all.
// Every text column is COLLATE "C", as SQLite compares text byte by byte: runs page by start time
// and list by id, traces by run and record id, whatever the database's default collation is.
export const LINKAGE_TABLES: readonly string[] = [
  // Derived from decision and imported-decision leaves (rebuildable); h_* are the join's 52-bit key hashes.
  `CREATE TABLE linkage_decisions (
    idx BIGINT PRIMARY KEY,
    decision_id TEXT COLLATE "C" NOT NULL,
    source_id TEXT COLLATE "C",
    engine TEXT COLLATE "C" NOT NULL,
    time_ms BIGINT NOT NULL,
    outcome TEXT COLLATE "C" NOT NULL,
    reason_code TEXT COLLATE "C",
    subject_id TEXT COLLATE "C" NOT NULL,
    credential_id TEXT COLLATE "C",
    action TEXT COLLATE "C" NOT NULL,
    resource_type TEXT COLLATE "C",
    resource_id TEXT COLLATE "C" NOT NULL,
    trace_id TEXT COLLATE "C",
    args_digest TEXT COLLATE "C",
    grant_id TEXT COLLATE "C",
    grant_expires_at TEXT COLLATE "C",
    approval_request_id TEXT COLLATE "C",
    h_id BIGINT NOT NULL,
    h_source BIGINT,
    h_trace BIGINT,
    h_credential BIGINT,
    h_sar BIGINT NOT NULL,
    h_action BIGINT NOT NULL,
    h_resource BIGINT NOT NULL
  )`,
  "CREATE INDEX linkage_decisions_source ON linkage_decisions (engine, source_id) WHERE source_id IS NOT NULL",
  `CREATE TABLE linkage_meta (key TEXT COLLATE "C" PRIMARY KEY, value TEXT COLLATE "C" NOT NULL)`,
  `CREATE TABLE linkage_runs (
    id TEXT COLLATE "C" PRIMARY KEY,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    format TEXT COLLATE "C" NOT NULL,
    source TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C" NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C",
    options TEXT COLLATE "C" NOT NULL,
    summary TEXT COLLATE "C",
    record_id TEXT COLLATE "C"
  )`,
  "CREATE INDEX linkage_runs_started ON linkage_runs (started_at)",
  `CREATE TABLE linkage_records (
    run_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('link', 'imported')),
    record_id TEXT COLLATE "C" NOT NULL,
    first_event BIGINT NOT NULL,
    events BIGINT NOT NULL,
    decision_id TEXT COLLATE "C",
    key TEXT COLLATE "C",
    confidence DOUBLE PRECISION,
    PRIMARY KEY (run_id, seq)
  )`,
  `CREATE TABLE linkage_traces (
    trace_id TEXT COLLATE "C" NOT NULL,
    run_id TEXT COLLATE "C" NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (trace_id, run_id, record_id)
  )`,
  `CREATE TABLE linkage_findings (
    run_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    file TEXT COLLATE "C" NOT NULL,
    line BIGINT NOT NULL,
    time TEXT COLLATE "C" NOT NULL,
    subject_id TEXT COLLATE "C" NOT NULL,
    decision_id TEXT COLLATE "C",
    record_id TEXT COLLATE "C" NOT NULL,
    note TEXT COLLATE "C" NOT NULL,
    evidence TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, seq)
  )`,
  "CREATE INDEX linkage_findings_code ON linkage_findings (code)",
  `CREATE TABLE linkage_skipped (
    run_id TEXT COLLATE "C" NOT NULL,
    seq BIGINT NOT NULL,
    file TEXT COLLATE "C" NOT NULL,
    line BIGINT NOT NULL,
    reason TEXT COLLATE "C" NOT NULL,
    message TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (run_id, seq)
  )`,
  // next_index only grows: several processes may publish the same entries, the sink deduplicates by index.
  `CREATE TABLE stream_positions (
    sink TEXT COLLATE "C" PRIMARY KEY,
    next_index BIGINT NOT NULL CHECK (next_index >= 0),
    updated_at TEXT COLLATE "C" NOT NULL
  )`,
  // A counter past expires_ms is the same as none (a full bucket, an ended window) and is pruned.
  `CREATE TABLE limit_counters (
    key TEXT COLLATE "C" PRIMARY KEY,
    value DOUBLE PRECISION NOT NULL,
    at_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
  )`,
  "CREATE INDEX limit_counters_expiry ON limit_counters (expires_ms)",
];
