// Schema 3: every policy set version ever activated (its canonical content), and the history of activations.
import type { Migration } from "./migration.js";

export const policyMigration: Migration = {
  version: 3,
  description: "policy set versions and activations",
  sql: `
    -- content: the canonical JSON the version hashes, so any version can be reloaded, diffed and replayed.
    -- sources: where each policy was written (file, line); not hashed, since layout is not meaning.
    CREATE TABLE policy_versions (
      version TEXT PRIMARY KEY,
      content TEXT NOT NULL,
      sources TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    -- The newest row is the active version; each row was written in the same transaction as its
    -- policy_change record (record_id) in the ledger.
    CREATE TABLE policy_activations (
      seq INTEGER PRIMARY KEY,
      version TEXT NOT NULL REFERENCES policy_versions(version),
      previous TEXT,
      actor TEXT NOT NULL,
      activated_at TEXT NOT NULL,
      record_id TEXT NOT NULL
    ) STRICT;
  `,
};
