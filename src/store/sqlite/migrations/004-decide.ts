// Schema 4: approval requests, JIT grants and break-glass sessions of the decision engine.
import type { Migration } from "./migration.js";

export const decideMigration: Migration = {
  version: 4,
  description: "approvals, grants and break-glass sessions",
  sql: `
    CREATE TABLE approvals (
      id TEXT PRIMARY KEY,
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
      allow_owner INTEGER NOT NULL,
      grant_uses INTEGER NOT NULL,
      grant_ttl_seconds INTEGER NOT NULL,
      decision_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      decided_at TEXT,
      approver TEXT,
      justification TEXT
    ) STRICT;
    CREATE INDEX approvals_binding ON approvals(requester_id, action, resource_id, args_digest);
    CREATE INDEX approvals_state ON approvals(state, created_at);

    CREATE TABLE grants (
      id TEXT PRIMARY KEY,
      approval_id TEXT REFERENCES approvals(id),
      subject_id TEXT NOT NULL,
      subject_type TEXT NOT NULL,
      action TEXT NOT NULL,
      resource_type TEXT NOT NULL,
      resource_id TEXT NOT NULL,
      args_digest TEXT NOT NULL,
      uses_remaining INTEGER NOT NULL,
      state TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    ) STRICT;
    CREATE INDEX grants_binding ON grants(subject_id, action, resource_id, args_digest);

    CREATE TABLE break_glass (
      id TEXT PRIMARY KEY,
      identity_id TEXT NOT NULL,
      justification TEXT NOT NULL,
      started_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      ended_at TEXT,
      reviewed_at TEXT,
      reviewer TEXT,
      review_note TEXT,
      decision_count INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX break_glass_identity ON break_glass(identity_id, expires_at);
  `,
};
