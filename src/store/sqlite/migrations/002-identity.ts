// Schema 2: identities, their owners and lifecycle state, and credentials (hashes only, never secrets).
import type { Migration } from "./migration.js";

export const identityMigration: Migration = {
  version: 2,
  description: "identities and credentials",
  sql: `
    CREATE TABLE identities (
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      owner TEXT,
      status TEXT NOT NULL,
      display_name TEXT,
      groups TEXT NOT NULL,
      roles TEXT NOT NULL,
      attributes TEXT NOT NULL,
      credentials_not_before TEXT,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX identities_owner ON identities(owner);

    CREATE TABLE credentials (
      id TEXT PRIMARY KEY,
      identity_id TEXT NOT NULL REFERENCES identities(id),
      kind TEXT NOT NULL,
      secret_hash BLOB,
      status TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT,
      rotated_at TEXT,
      revoked_at TEXT,
      replaced_by TEXT
    ) STRICT;
    CREATE INDEX credentials_identity ON credentials(identity_id);
  `,
};
