// Schema 11: how far each outside sink (NATS JetStream, an OTLP collector) has acknowledged the ledger.
import type { Migration } from "./migration.js";

/**
 * One row per sink: `next_index` is the first ledger index the sink has not acknowledged, so a
 * restarted process resumes there instead of from 0 or from the end. It only ever grows (several
 * processes on one data directory may publish the same entries; the sink deduplicates by index).
 * IF NOT EXISTS: a store taken back to an older schema version (as the migration tests do) keeps the table.
 */
export const streamMigration: Migration = {
  version: 11,
  description: "stream positions of outside sinks",
  sql: `
    CREATE TABLE IF NOT EXISTS stream_positions (
      sink TEXT PRIMARY KEY,
      next_index INTEGER NOT NULL CHECK (next_index >= 0),
      updated_at TEXT NOT NULL
    ) STRICT;
  `,
};
