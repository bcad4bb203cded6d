// JSON views of approvals, grants and break-glass sessions, shared by the HTTP API and the CLI.
import type { ApprovalRequest } from "../store/index.js";
import type { BreakGlassSession } from "../store/index.js";
import type { Grant } from "../store/index.js";

/** A pending request past its expiry is shown as expired even before anyone touched it again. */
export function approvalView(request: ApprovalRequest, now = new Date()): Record<string, unknown> {
  const expired = request.state === "pending" && Date.parse(request.expiresAt) <= now.getTime();
  return {
    id: request.id,
    state: expired ? "expired" : request.state,
    requester: { id: request.requesterId, type: request.requesterType, owner: request.requesterOwner },
    action: request.action,
    resource: { type: request.resourceType, id: request.resourceId },
    args_digest: request.argsDigest,
    policy_set_version: request.policyVersion,
    gate_policy: request.gatePolicy,
    approver_role: request.approverRole,
    owner_may_approve: request.allowOwner,
    grant: { uses: request.grantUses, ttl_seconds: request.grantTtlSeconds },
    decision_id: request.decisionId,
    created_at: request.createdAt,
    expires_at: request.expiresAt,
    decided_at: request.decidedAt,
    approver: request.approver,
    justification: request.justification,
  };
}

export function grantView(grant: Grant, now = new Date()): Record<string, unknown> {
  const expired = grant.state === "issued" && Date.parse(grant.expiresAt) <= now.getTime();
  return {
    id: grant.id,
    state: expired ? "expired" : grant.state,
    approval_id: grant.approvalId,
    subject: { id: grant.subjectId, type: grant.subjectType },
    action: grant.action,
    resource: { type: grant.resourceType, id: grant.resourceId },
    args_digest: grant.argsDigest,
    uses_remaining: grant.usesRemaining,
    created_at: grant.createdAt,
    expires_at: grant.expiresAt,
  };
}

export function sessionView(session: BreakGlassSession, now = new Date()): Record<string, unknown> {
  const active = session.endedAt === null && Date.parse(session.expiresAt) > now.getTime();
  return {
    id: session.id,
    identity: session.identityId,
    justification: session.justification,
    started_at: session.startedAt,
    expires_at: session.expiresAt,
    ended_at: session.endedAt,
    active,
    decisions: session.decisionCount,
    review: session.reviewedAt ? { reviewed_at: session.reviewedAt, reviewer: session.reviewer, note: session.reviewNote } : null,
  };
}
