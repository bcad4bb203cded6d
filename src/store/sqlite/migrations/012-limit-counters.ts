// Schema 12: counters of rate limits and quotas, shared by every process on the data directory.
import type { Migration } from "./migration.js";

export const limitCountersMigration: Migration = {
  version: 12,
  description: "rate-limit and quota counters",
  // A counter past expires_ms is the same as none (a full bucket, an ended window) and is pruned.
  // IF NOT EXISTS: a store rolled back to an older schema (as migration tests do) migrates again.
  sql: `
    CREATE TABLE IF NOT EXISTS limit_counters (
      key TEXT PRIMARY KEY,
      value REAL NOT NULL,
      at_ms INTEGER NOT NULL,
      expires_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS limit_counters_expiry ON limit_counters(expires_ms);
  `,
};
