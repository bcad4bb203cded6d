// Approval gates: hold a call for a human approver, then let exactly that call through on a JIT grant.
import type { Identity } from "../identity/index.js";
import type { Ledger } from "../ledger/index.js";
import type { PolicyVerdict } from "../policy/index.js";
import { ArbiterError, newRecordId } from "../record/index.js";
import type { ApprovalRepository, ApprovalRequest } from "../store/index.js";
import type { CallBinding } from "./binding.js";
import type { Grant, GrantRepository } from "../store/index.js";
import { grantRecord } from "./grant-record.js";
import { verdict, type Verdict } from "./verdict.js";

export interface GateInput {
  binding: CallBinding;
  identity: Identity;
  gate: NonNullable<PolicyVerdict["gate"]>;
  verdict: Verdict;
  decisionId: string;
  setVersion: string;
  now: Date;
  /** The policy verdict with approval gates set aside, for a call that holds a grant. */
  retry: () => PolicyVerdict;
}

interface FlowDeps {
  ledger: Ledger;
  approvals: ApprovalRepository;
  grants: GrantRepository;
}

const MIN_JUSTIFICATION = 3;

function plusSeconds(date: Date, seconds: number): string {
  return new Date(date.getTime() + seconds * 1000).toISOString();
}

function requesterPart(identity: Identity): Record<string, unknown> {
  return { id: identity.id, type: identity.type, ...(identity.owner ? { owner: identity.owner } : {}) };
}

export class ApprovalFlow {
  private readonly deps: FlowDeps;
  private readonly now: () => Date;

  constructor(deps: FlowDeps, now: () => Date) {
    this.deps = deps;
    this.now = now;
  }

  /** Turns an APPROVAL_REQUIRED challenge into a grant use, a held request, a denial, or a new request. */
  gate(input: GateInput): Verdict {
    const { binding, now } = input;
    const grant = this.deps.grants.usableFor(binding, now);
    if (grant) return this.useGrant(input, grant);
    const latest = this.deps.approvals.latestFor(binding);
    const companions: Verdict["companions"] = [];
    if (latest && Date.parse(latest.expiresAt) > now.getTime()) {
      if (latest.state === "pending") {
        return verdict({
          ...input.verdict,
          note: `${input.verdict.note} Approval request ${latest.id} is waiting for an approver until ${latest.expiresAt}.`,
          approvalRequest: { id: latest.id, state: "pending", expiresAt: latest.expiresAt },
        });
      }
      if (latest.state === "denied") {
        return verdict({
          outcome: "deny",
          control: "approval",
          reason: "APPROVAL_DENIED",
          note: `Approval request ${latest.id} for this exact call was denied by ${latest.approver ?? "an approver"}: "${latest.justification ?? ""}".`,
          determining: input.verdict.determining,
          approvalRequest: { id: latest.id, state: "denied", expiresAt: latest.expiresAt },
        });
      }
    } else if (latest?.state === "pending") {
      companions.push(this.expiry(latest, now));
    }
    const expiredGrant = this.deps.grants.expiredFor(binding, now);
    const request = this.newRequest(input);
    const v = verdict({
      ...input.verdict,
      ...(expiredGrant ? { reason: "GRANT_EXPIRED" as const } : {}),
      note: `${expiredGrant ? `Grant ${expiredGrant.id} expired at ${expiredGrant.expiresAt} unused. ` : ""}${input.verdict.note} Approval request ${request.id} was opened and waits for an approver until ${request.expiresAt}.`,
      approvalRequest: { id: request.id, state: "pending", expiresAt: request.expiresAt },
      opened: { requestId: request.id, policy: request.gatePolicy, approverRole: request.approverRole, note: input.verdict.note, createdAt: request.createdAt, expiresAt: request.expiresAt },
    });
    v.companions.push(...companions, {
      input: {
        kind: "approval",
        request_id: request.id,
        state: "requested",
        requester: requesterPart(input.identity),
        action: binding.action,
        resource: { id: binding.resourceId, type: binding.resourceType },
        args_digest: binding.argsDigest,
        policy_set_version: input.setVersion,
        expires_at: request.expiresAt,
        correlation: { parent_decision_id: input.decisionId },
      },
      effects: [{ type: "approval.insert", request }],
    });
    return v;
  }

  private newRequest(input: GateInput): Omit<ApprovalRequest, "state" | "decidedAt" | "approver" | "justification"> {
    const { binding, gate, now } = input;
    return {
      id: `apr_${newRecordId(now.getTime())}`,
      requesterId: binding.subjectId,
      requesterType: input.identity.type,
      requesterOwner: input.identity.owner ?? null,
      action: binding.action,
      resourceType: binding.resourceType,
      resourceId: binding.resourceId,
      argsDigest: binding.argsDigest,
      policyVersion: input.setVersion,
      gatePolicy: gate.policy.id,
      approverRole: gate.approverRole,
      allowOwner: gate.allowOwnerApproval,
      grantUses: gate.grantUses,
      grantTtlSeconds: gate.grantTtlSeconds,
      decisionId: input.decisionId,
      createdAt: now.toISOString(),
      expiresAt: plusSeconds(now, gate.approvalTtlSeconds),
    };
  }

  private useGrant(input: GateInput, grant: Grant): Verdict {
    const retried = input.retry();
    if (retried.outcome !== "allow") {
      return verdict({ outcome: retried.outcome, control: retried.control, reason: retried.reason_code, note: retried.note, determining: retried.determining, obligations: retried.obligations });
    }
    const approval = grant.approvalId ? this.deps.approvals.get(grant.approvalId) : undefined;
    const approver = approval?.approver ?? "an approver";
    const v = verdict({
      outcome: "allow",
      control: "approval",
      reason: "APPROVAL_GRANTED",
      note: `Allowed by grant ${grant.id}, approved by ${approver}${approval?.justification ? ` ("${approval.justification}")` : ""}; ${retried.note}`,
      determining: [...new Set([...input.verdict.determining, ...retried.determining])].sort(),
      obligations: [...retried.obligations, { type: "grant_use", grant_id: grant.id }],
      grant: { id: grant.id, expiresAt: grant.expiresAt, usesRemaining: grant.usesRemaining - 1 },
      ...(approval?.decidedAt ? { approval: { requestId: approval.id, approver, decidedAt: approval.decidedAt } } : {}),
    });
    v.effects.push({ type: "grant.consume", id: grant.id, at: input.now.toISOString() });
    return v;
  }

  private expiry(request: ApprovalRequest, now: Date): Verdict["companions"][number] {
    return {
      input: this.approvalRecord(request, "expired", {}),
      effects: [{ type: "approval.decide", id: request.id, state: "expired", at: now.toISOString(), approver: null, justification: null }],
    };
  }

  private approvalRecord(request: ApprovalRequest, state: "approved" | "denied" | "expired", extra: Record<string, unknown>): Record<string, unknown> {
    return {
      kind: "approval",
      request_id: request.id,
      state,
      requester: { id: request.requesterId, type: request.requesterType, ...(request.requesterOwner ? { owner: request.requesterOwner } : {}) },
      action: request.action,
      resource: { id: request.resourceId, type: request.resourceType },
      args_digest: request.argsDigest,
      policy_set_version: request.policyVersion,
      expires_at: request.expiresAt,
      correlation: { parent_decision_id: request.decisionId },
      ...extra,
    };
  }

  private pendingOrThrow(id: string, now: Date): ApprovalRequest {
    const request = this.deps.approvals.get(id);
    if (!request) throw new ArbiterError("NOT_FOUND", `approval request ${id} does not exist`, { id });
    if (request.state !== "pending") throw new ArbiterError("CONFLICT", `approval request ${id} is already ${request.state}`, { id, state: request.state });
    if (Date.parse(request.expiresAt) <= now.getTime()) {
      throw new ArbiterError("CONFLICT", `approval request ${id} expired at ${request.expiresAt}; the caller must ask again`, { id, state: "expired" });
    }
    return request;
  }

  /** Separation of duties: an active human with the gate's approver role, never the requester, nor its owner unless the gate allows. */
  private checkApprover(request: ApprovalRequest, approver: Identity, justification: string): void {
    const refuse = (why: string): never => {
      throw new ArbiterError("APPROVAL_NOT_ALLOWED", `${approver.id} may not decide approval request ${request.id}: ${why}`, { id: request.id });
    };
    if (approver.type !== "human") refuse("only a human identity can approve");
    if (approver.status !== "active") refuse(`the approver is ${approver.status}`);
    // The operator role admits someone to approving at all; the gate's role (a role or a group) says for what.
    if (!approver.roles.includes("approver")) refuse("the approver lacks the approver role");
    if (!approver.roles.includes(request.approverRole) && !approver.groups.includes(request.approverRole)) {
      refuse(`policy ${request.gatePolicy} needs an approver with the role or group ${request.approverRole}`);
    }
    if (approver.id === request.requesterId) refuse("a requester cannot approve its own request");
    if (!request.allowOwner && approver.id === request.requesterOwner) refuse(`the approver owns the requester, and policy ${request.gatePolicy} does not let owners approve`);
    if (justification.trim().length < MIN_JUSTIFICATION) throw new ArbiterError("REQUEST_INVALID", "a justification is required");
  }

  async approve(id: string, approver: Identity, justification: string): Promise<{ request: ApprovalRequest; grant: Grant }> {
    const now = this.now();
    const request = await this.expireIfDue(id, now);
    this.checkApprover(request, approver, justification);
    justification = this.deps.ledger.redactText(justification);
    const decidedAt = now.toISOString();
    const grant: Grant = {
      id: `grt_${newRecordId(now.getTime())}`,
      approvalId: request.id,
      subjectId: request.requesterId,
      subjectType: request.requesterType,
      action: request.action,
      resourceType: request.resourceType,
      resourceId: request.resourceId,
      argsDigest: request.argsDigest,
      usesRemaining: request.grantUses,
      state: "issued",
      createdAt: decidedAt,
      expiresAt: plusSeconds(now, request.grantTtlSeconds),
    };
    // The approval and its grant commit together: no grant without an approval, no approval twice.
    await this.deps.ledger.append(
      this.approvalRecord(request, "approved", { approver: approver.id, justification, attributes: { grant_id: grant.id, grant_expires_at: grant.expiresAt, grant_uses: grant.usesRemaining } }),
      {
        effects: [
          { type: "approval.decide", id: request.id, state: "approved", at: decidedAt, approver: approver.id, justification },
          { type: "grant.insert", grant },
        ],
      },
    );
    await this.deps.ledger.append(grantRecord(grant, "issued"));
    return { request: this.deps.approvals.get(id) as ApprovalRequest, grant };
  }

  async deny(id: string, approver: Identity, justification: string): Promise<ApprovalRequest> {
    const now = this.now();
    const request = await this.expireIfDue(id, now);
    this.checkApprover(request, approver, justification);
    justification = this.deps.ledger.redactText(justification);
    await this.deps.ledger.append(this.approvalRecord(request, "denied", { approver: approver.id, justification }), {
      effects: [{ type: "approval.decide", id: request.id, state: "denied", at: now.toISOString(), approver: approver.id, justification }],
    });
    return this.deps.approvals.get(id) as ApprovalRequest;
  }

  /** A pending request past its expiry is recorded as expired before anyone is told it cannot be decided. */
  private async expireIfDue(id: string, now: Date): Promise<ApprovalRequest> {
    const request = this.deps.approvals.get(id);
    if (request?.state === "pending" && Date.parse(request.expiresAt) <= now.getTime()) {
      const expiry = this.expiry(request, now);
      await this.deps.ledger.append(expiry.input, expiry.effects ? { effects: expiry.effects } : {});
    }
    return this.pendingOrThrow(id, now);
  }
}
