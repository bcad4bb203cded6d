// Schema 13: the outbox of approver notifications, so a delivery survives a crash or a restart.
import type { Migration } from "./migration.js";

/**
 * One row per delivery still to be made (one per webhook per approval request), deleted once it
 * ends (delivered, or given up). `body` is the rendered, masked body; the webhook is named, never
 * its URL or signing secret, which stay in the settings. A process delivering a row holds it until
 * `lease_until_ms`, so another process on the data directory (or a restart after a crash) takes it
 * again only once that lease ran out.
 * IF NOT EXISTS: a store taken back to an older schema version (as the migration tests do) keeps the table.
 */
export const notifyOutboxMigration: Migration = {
  version: 13,
  description: "approver notification outbox",
  sql: `
    CREATE TABLE IF NOT EXISTS notify_outbox (
      delivery_id TEXT PRIMARY KEY,
      webhook TEXT NOT NULL,
      event TEXT NOT NULL,
      body TEXT NOT NULL,
      approval_request_id TEXT NOT NULL,
      decision_id TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_at_ms INTEGER NOT NULL,
      lease_until_ms INTEGER NOT NULL DEFAULT 0,
      lease_owner TEXT,
      created_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS notify_outbox_due ON notify_outbox(next_at_ms);
  `,
};
