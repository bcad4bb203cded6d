// Schema 10: tasks, and the task each token was issued for, so that completing a task ends its credentials at once.
import type { Migration } from "./migration.js";

/**
 * A task is created by the first token issued for it; its owner is that token's acting identity.
 * completed_at is set once and never cleared: a completed task's tokens are refused for good
 * (TASK_COMPLETED), and no new token can be issued for it. Older tokens have no task (NULL).
 * credentials.task names a tasks row (written in the same commit); it is no declared foreign key
 * because SQLite cannot drop such a column again, which the migration tests do to rebuild old stores.
 */
export const tasksMigration: Migration = {
  version: 10,
  description: "tasks and task-scoped credentials",
  sql: `
    CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      owner TEXT NOT NULL REFERENCES identities(id),
      created_at TEXT NOT NULL,
      completed_at TEXT,
      completed_by TEXT
    ) STRICT;
    ALTER TABLE credentials ADD COLUMN task TEXT;
    CREATE INDEX credentials_task ON credentials(task) WHERE task IS NOT NULL;
  `,
};
