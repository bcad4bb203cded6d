// The approvals table's row, as both stores read it (same columns in SQLite and PostgreSQL), and the contract's value it maps to.
import type { IdentityType } from "../../record/index.js";
import type { ApprovalRequest, ApprovalState } from "../contracts/approvals.js";
export interface ApprovalRow {
  id: string;
  state: ApprovalState;
  requester_id: string;
  requester_type: IdentityType;
  requester_owner: string | null;
  action: string;
  resource_type: string;
  resource_id: string;
  args_digest: string;
  policy_version: string;
  gate_policy: string;
  approver_role: string;
  allow_owner: number;
  grant_uses: number;
  grant_ttl_seconds: number;
  decision_id: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  approver: string | null;
  justification: string | null;
}

export function approvalFromRow(row: ApprovalRow): ApprovalRequest {
  return {
    id: row.id,
    state: row.state,
    requesterId: row.requester_id,
    requesterType: row.requester_type,
    requesterOwner: row.requester_owner,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    argsDigest: row.args_digest,
    policyVersion: row.policy_version,
    gatePolicy: row.gate_policy,
    approverRole: row.approver_role,
    allowOwner: row.allow_owner === 1,
    grantUses: row.grant_uses,
    grantTtlSeconds: row.grant_ttl_seconds,
    decisionId: row.decision_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    approver: row.approver,
    justification: row.justification,
  };
}
