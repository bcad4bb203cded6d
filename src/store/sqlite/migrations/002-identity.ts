// Schema 2: identities, their owners and lifecycle state, and credentials (hashes only, never secrets).
import type { Migration } from "./migration.js";

export const identityMigration: Migration = {
  version: 2,
  description: "identities and credentials",
  sql: `
    CREATE TABLE identities (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL CHECK (type IN ('agent', 'service_account', 'api_key', 'workload', 'pipeline', 'human')),
      owner TEXT,
      status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'revoked', 'offboarded')),
      display_name TEXT,
      groups TEXT NOT NULL,
      roles TEXT NOT NULL,
      attributes TEXT NOT NULL,
      -- Tokens issued before this instant are refused once credentials_grace_until has passed (rotation).
      credentials_not_before TEXT,
      credentials_grace_until TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX identities_owner ON identities(owner);

    -- secret_hash: SHA-256 of an API key's secret; NULL for tokens (they are signed, their id is the jti).
    -- expires_at: a token's exp, or the end of a rotated API key's grace period.
    CREATE TABLE credentials (
      id TEXT PRIMARY KEY,
      identity_id TEXT NOT NULL REFERENCES identities(id),
      kind TEXT NOT NULL CHECK (kind IN ('api_key', 'token')),
      secret_hash BLOB,
      status TEXT NOT NULL CHECK (status IN ('active', 'rotated', 'revoked')),
      created_at TEXT NOT NULL,
      expires_at TEXT,
      rotated_at TEXT,
      revoked_at TEXT,
      replaced_by TEXT
    ) STRICT;
    CREATE INDEX credentials_identity ON credentials(identity_id, status);
  `,
};
