// Tables of identities, credentials, delegation, tasks, assertion scopes; policies, in PostgreSQL's dialect.
// The embedded store's migrations 2 (identities, credentials), 3 (policies), 8 (assertion scopes) and
// 10 (tasks) as they stand after migration 13. Ids and instants are COLLATE "C": SQLite compares and
// orders text byte by byte, and "in id order" or an RFC 3339 comparison must not depend on the
// server's locale.

export const IDENTITY_TABLES: readonly string[] = [
  `CREATE TABLE identities (
    id TEXT COLLATE "C" PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('agent', 'service_account', 'api_key', 'workload', 'pipeline', 'human')),
    owner TEXT COLLATE "C",
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked', 'offboarded')),
    display_name TEXT,
    groups TEXT NOT NULL,
    roles TEXT NOT NULL,
    attributes TEXT NOT NULL,
    -- What a pep may assert about the callers it names (JSON); NULL asserts nothing.
    assertion_scope TEXT,
    -- Tokens issued before this instant are refused once credentials_grace_until has passed (rotation).
    credentials_not_before TEXT COLLATE "C",
    credentials_grace_until TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL
  )`,
  "CREATE INDEX identities_owner ON identities (owner)",
  // secret_hash: SHA-256 of an API key's secret; NULL for tokens (signed, their id is the jti).
  // task names a tasks row written in the same commit; no declared foreign key, as in the embedded
  // store, so that a token and its task.open may come in either order within one commit.
  `CREATE TABLE credentials (
    id TEXT COLLATE "C" PRIMARY KEY,
    identity_id TEXT COLLATE "C" NOT NULL REFERENCES identities (id),
    kind TEXT NOT NULL CHECK (kind IN ('api_key', 'token')),
    secret_hash BYTEA,
    status TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C",
    rotated_at TEXT COLLATE "C",
    revoked_at TEXT COLLATE "C",
    replaced_by TEXT COLLATE "C",
    task TEXT COLLATE "C"
  )`,
  "CREATE INDEX credentials_identity ON credentials (identity_id, status)",
  `CREATE TABLE tasks (
    id TEXT COLLATE "C" PRIMARY KEY,
    owner TEXT COLLATE "C" NOT NULL REFERENCES identities (id),
    created_at TEXT COLLATE "C" NOT NULL,
    completed_at TEXT COLLATE "C",
    completed_by TEXT COLLATE "C"
  )`,
  "CREATE INDEX credentials_task ON credentials (task) WHERE task IS NOT NULL",
  // One row whose version every identity-writing effect raises in its own transaction: how a replica
  // learns, on its next changeVersion(), that another one committed an identity change (PgIdentities).
  `CREATE TABLE identity_changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
  )`,
  "INSERT INTO identity_changes (id, version) VALUES (1, 0)",
  // content: the canonical JSON the version hashes; sources: where each policy was written (not hashed).
  // rowid: SQLite's implicit rowid made explicit, the insertion order versions() breaks ties with.
  `CREATE TABLE policy_versions (
    version TEXT COLLATE "C" PRIMARY KEY,
    content TEXT NOT NULL,
    sources TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    rowid BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE
  )`,
  // The newest row is the active version, written in the same transaction as its policy_change record.
  `CREATE TABLE policy_activations (
    seq BIGINT PRIMARY KEY,
    version TEXT COLLATE "C" NOT NULL REFERENCES policy_versions (version),
    previous TEXT COLLATE "C",
    actor TEXT NOT NULL,
    activated_at TEXT COLLATE "C" NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL
  )`,
];
