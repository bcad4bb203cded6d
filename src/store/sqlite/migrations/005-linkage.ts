// Schema 5: linkage runs and their results, and the decision keys the join reads (derived from leaves).
import type { Migration } from "./migration.js";

export const linkageMigration: Migration = {
  version: 5,
  description: "linkage runs, results and the join's decision keys",
  sql: `
    -- Derived from decision and imported-decision leaves (rebuildable), because record_index lacks
    -- what the join needs (credential id, args digest, grant). h_* are 52-bit hashes of the keys,
    -- computed once here so that a run loads numbers, not strings (see src/linkage/key-hash.ts).
    CREATE TABLE linkage_decisions (
      idx INTEGER PRIMARY KEY,
      decision_id TEXT NOT NULL,
      source_id TEXT,
      engine TEXT NOT NULL,
      time_ms INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      reason_code TEXT,
      subject_id TEXT NOT NULL,
      credential_id TEXT,
      action TEXT NOT NULL,
      resource_type TEXT,
      resource_id TEXT NOT NULL,
      trace_id TEXT,
      args_digest TEXT,
      grant_id TEXT,
      grant_expires_at TEXT,
      approval_request_id TEXT,
      h_id INTEGER NOT NULL,
      h_source INTEGER,
      h_trace INTEGER,
      h_credential INTEGER,
      h_sar INTEGER NOT NULL,
      h_action INTEGER NOT NULL,
      h_resource INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX linkage_decisions_source ON linkage_decisions(engine, source_id) WHERE source_id IS NOT NULL;

    CREATE TABLE linkage_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

    CREATE TABLE linkage_runs (
      id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
      format TEXT NOT NULL,
      source TEXT NOT NULL,
      actor TEXT NOT NULL,
      started_at TEXT NOT NULL,
      finished_at TEXT,
      options TEXT NOT NULL,
      summary TEXT,
      record_id TEXT
    ) STRICT;
    CREATE INDEX linkage_runs_started ON linkage_runs(started_at);

    -- The records a run appended, in order: a link record holds up to 256 linked events (the leaf is
    -- the only copy of them: a table row per event cost ≈ 12 µs, a quarter of a run's budget, measured);
    -- an imported record is one foreign decision, with the Arbiter decision it shares a request with.
    CREATE TABLE linkage_records (
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('link', 'imported')),
      record_id TEXT NOT NULL,
      first_event INTEGER NOT NULL,
      events INTEGER NOT NULL,
      decision_id TEXT,
      key TEXT,
      confidence REAL,
      PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;
    -- Linked events that carried a trace id, for the story of one trace.
    CREATE TABLE linkage_traces (
      trace_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      record_id TEXT NOT NULL,
      PRIMARY KEY (trace_id, run_id, record_id)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE linkage_findings (
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      code TEXT NOT NULL,
      file TEXT NOT NULL,
      line INTEGER NOT NULL,
      time TEXT NOT NULL,
      subject_id TEXT NOT NULL,
      decision_id TEXT,
      record_id TEXT NOT NULL,
      note TEXT NOT NULL,
      evidence TEXT NOT NULL,
      PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX linkage_findings_code ON linkage_findings(code);

    -- Lines that could not be read; the run keeps the first few per run, counts are in the summary.
    CREATE TABLE linkage_skipped (
      run_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      file TEXT NOT NULL,
      line INTEGER NOT NULL,
      reason TEXT NOT NULL,
      message TEXT NOT NULL,
      PRIMARY KEY (run_id, seq)
    ) STRICT, WITHOUT ROWID;
  `,
};
