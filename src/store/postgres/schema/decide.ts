// Tables of approvals, grants, break-glass sessions and the notify outbox, in PostgreSQL's dialect
// (the embedded store's migrations 4 and 13); limit counters and stream positions are not here.
//
// Times are RFC 3339 text compared as text, as SQLite compares them: COLLATE "C" makes that a byte
// comparison whatever the database's collation, so `expires_at > $now` and the orderings by time
// mean what they mean in SQLite. approvals.rowid stands in for SQLite's implicit rowid, which breaks
// ties between requests created in the same millisecond (newest first means last inserted first).
export const DECIDE_TABLES: readonly string[] = [
  `CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    state TEXT NOT NULL,
    requester_id TEXT NOT NULL,
    requester_type TEXT NOT NULL,
    requester_owner TEXT,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    gate_policy TEXT NOT NULL,
    approver_role TEXT NOT NULL,
    allow_owner BIGINT NOT NULL,
    grant_uses BIGINT NOT NULL,
    grant_ttl_seconds BIGINT NOT NULL,
    decision_id TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    decided_at TEXT COLLATE "C",
    approver TEXT,
    justification TEXT
  )`,
  "CREATE INDEX approvals_binding ON approvals (requester_id, action, resource_id, args_digest)",
  "CREATE INDEX approvals_state ON approvals (state, created_at)",
  `CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    approval_id TEXT REFERENCES approvals (id),
    subject_id TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    action TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    uses_remaining BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL
  )`,
  "CREATE INDEX grants_binding ON grants (subject_id, action, resource_id, args_digest)",
  `CREATE TABLE break_glass (
    id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL,
    justification TEXT NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    ended_at TEXT COLLATE "C",
    reviewed_at TEXT COLLATE "C",
    reviewer TEXT,
    review_note TEXT,
    decision_count BIGINT NOT NULL DEFAULT 0
  )`,
  "CREATE INDEX break_glass_identity ON break_glass (identity_id, expires_at)",
  `CREATE TABLE notify_outbox (
    delivery_id TEXT PRIMARY KEY,
    webhook TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    approval_request_id TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_at_ms BIGINT NOT NULL,
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    created_at TEXT COLLATE "C" NOT NULL
  )`,
  "CREATE INDEX notify_outbox_due ON notify_outbox (next_at_ms)",
];
