// Schema 3: every policy set version ever loaded, and the history of activations.
import type { Migration } from "./migration.js";

export const policyMigration: Migration = {
  version: 3,
  description: "policy set versions and activations",
  sql: `
    CREATE TABLE policy_versions (
      version TEXT PRIMARY KEY,
      content TEXT NOT NULL,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE TABLE policy_activations (
      seq INTEGER PRIMARY KEY,
      version TEXT NOT NULL REFERENCES policy_versions(version),
      previous TEXT,
      actor TEXT NOT NULL,
      activated_at TEXT NOT NULL
    ) STRICT;
  `,
};
