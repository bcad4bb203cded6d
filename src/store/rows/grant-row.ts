// The grants table's row, as both stores read it (same columns in SQLite and PostgreSQL), and the contract's value it maps to.
import type { IdentityType } from "../../record/index.js";
import type { Grant, GrantState } from "../contracts/grants.js";
export interface GrantRow {
  id: string;
  approval_id: string | null;
  subject_id: string;
  subject_type: IdentityType;
  action: string;
  resource_type: string;
  resource_id: string;
  args_digest: string;
  uses_remaining: number;
  state: GrantState;
  created_at: string;
  expires_at: string;
}

export function grantFromRow(row: GrantRow): Grant {
  return {
    id: row.id,
    approvalId: row.approval_id,
    subjectId: row.subject_id,
    subjectType: row.subject_type,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    argsDigest: row.args_digest,
    usesRemaining: row.uses_remaining,
    state: row.state,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
