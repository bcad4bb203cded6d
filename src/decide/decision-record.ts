// The decision as answered to a PEP, and as written to the ledger.
import { isSensitivity, type Caller, type DecisionReasonCode, type Obligation, type Outcome, type Control, type IdentityType, type RecordInputOfKind } from "../record/index.js";
import type { ResolvedSubject } from "./subject.js";
import type { DecisionRequest } from "./request.js";
import type { Verdict } from "./verdict.js";

export interface Decision {
  decision_id: string;
  time: string;
  outcome: Outcome;
  control: Control;
  reason_code: DecisionReasonCode;
  note: string;
  subject: { id: string; type: IdentityType | "unknown"; owner?: string };
  action: string;
  resource: { type: string; id: string };
  policy: { set_version: string; determining: string[] };
  obligations: Obligation[];
  args_digest: string;
  retry_after?: number;
  approval_request?: { id: string; state: string; expires_at: string };
  approval?: { request_id: string; approver: string; decided_at: string };
  grant?: { id: string; expires_at: string; uses_remaining: number };
  step_up?: { max_auth_age?: number; acr?: string };
  break_glass?: { session_id: string; expires_at: string };
  /** Where the decision record sits in the ledger (prove it with GET /v1/log/proof/:index). */
  ledger: { index: number };
}

/** What policy would answer at another time (`arbiter decide --at`): not a decision, never recorded. */
export type WhatIf = Omit<Decision, "decision_id" | "ledger"> & { what_if: { at: string; evaluated_at: string; recorded: false } };


export interface RecordArgs {
  id: string;
  now: Date;
  request: Omit<DecisionRequest, "subject">;
  /** Who asked, as the door authenticated it; absent when nobody did (a check without a PEP credential). */
  caller?: Caller;
  subject: ResolvedSubject;
  setVersion: string;
  argsDigest: string;
  verdict: Verdict;
}

function subjectPart(subject: ResolvedSubject): RecordInputOfKind<"decision">["subject"] {
  const identity = subject.identity;
  if (!identity) return { id: subject.label, type: "unknown" };
  const credential = subject.auth?.credential;
  return {
    id: identity.id,
    type: identity.type,
    ...(identity.owner ? { owner: identity.owner } : {}),
    ...(identity.groups.length ? { groups: identity.groups } : {}),
    ...(credential
      ? {
          credential: {
            id: credential.id,
            kind: credential.kind,
            issued_at: credential.issued_at,
            ...(credential.expires_at ? { expires_at: credential.expires_at } : {}),
            ...(credential.task ? { task: credential.task } : {}),
          },
        }
      : {}),
  };
}

/**
 * A decision record as decide/ builds it: narrower than the record schema, which also reads records
 * other engines wrote. Its id, time and resource type are always set, a grant always says its uses
 * left and break-glass its session: the answer is read off it.
 */
export type DecisionRecordInput = RecordInputOfKind<"decision"> & {
  id: string;
  time: string;
  resource: { type: string };
  grant?: { uses_remaining: number };
  break_glass?: { session_id: string };
};

/** The `decision` record input; raw arguments go in `sensitive`, so only their salted commitment enters the leaf. */
export function decisionRecord({ id, now, request, caller, subject, setVersion, argsDigest, verdict: v }: RecordArgs): DecisionRecordInput {
  const sensitivity = request.resource.attributes?.sensitivity;
  const delegation = subject.auth?.delegation ?? [];
  return {
    kind: "decision",
    id,
    time: now.toISOString(),
    subject: subjectPart(subject),
    ...(delegation.length ? { delegation } : {}),
    action: request.action,
    resource: {
      id: request.resource.id,
      type: request.resource.type,
      ...(isSensitivity(sensitivity) ? { sensitivity } : {}),
    },
    ...(request.pep ? { pep: request.pep } : {}),
    ...(caller ? { caller } : {}),
    outcome: v.outcome,
    control: v.control,
    reason_code: v.reason,
    note: v.note,
    policy: { set_version: setVersion, determining: v.determining, engine: "arbiter" },
    ...(v.obligations.length ? { obligations: v.obligations } : {}),
    ...(v.grant ? { grant: { id: v.grant.id, expires_at: v.grant.expiresAt, uses_remaining: v.grant.usesRemaining } } : {}),
    ...(v.approval ? { approval: { request_id: v.approval.requestId, approver: v.approval.approver, decided_at: v.approval.decidedAt } } : {}),
    ...(v.breakGlass ? { break_glass: { session_id: v.breakGlass.sessionId, note: v.breakGlass.justification, expires_at: v.breakGlass.expiresAt, review_required: true } } : {}),
    ...(v.retryAfter !== undefined ? { retry_after: v.retryAfter } : {}),
    ...(argsDigest ? { args_digest: argsDigest } : {}),
    ...(v.approvalRequest ? { approval_request: { request_id: v.approvalRequest.id, expires_at: v.approvalRequest.expiresAt } } : {}),
    ...(v.stepUp ? { step_up: { ...(v.stepUp.maxAuthAge !== undefined ? { max_auth_age: v.stepUp.maxAuthAge } : {}), ...(v.stepUp.acr ? { acr: v.stepUp.acr } : {}) } } : {}),
    ...(request.correlation ? { correlation: request.correlation } : {}),
    ...(v.evaluated ? { evaluated: v.evaluated.evaluated } : {}),
    ...(request.args !== undefined || v.evaluated ? { sensitive: { ...v.evaluated?.sensitive, ...(request.args !== undefined ? { args: request.args } : {}) } } : {}),
    ...(request.confirmation || request.observed ? { attributes: { ...(request.observed ?? {}), ...(request.confirmation ? { user_confirmation: request.confirmation } : {}) } } : {}),
  };
}

/**
 * The decision as answered to the PEP, read off its record so that the two cannot disagree, once the
 * record sits at `index` in the ledger. The record does not keep an approval request's state (its own
 * records do): `approvalState` gives it.
 */
export function answerOf(record: DecisionRecordInput, index: number, approvalState = "pending"): Decision {
  const { subject, resource, policy, approval_request: asked, approval, grant, step_up: stepUp, break_glass: glass } = record;
  return {
    decision_id: record.id,
    time: record.time,
    outcome: record.outcome,
    control: record.control,
    reason_code: record.reason_code,
    note: record.note,
    subject: { id: subject.id, type: subject.type, ...(subject.owner ? { owner: subject.owner } : {}) },
    action: record.action,
    resource: { type: resource.type, id: resource.id },
    policy: { set_version: policy.set_version, determining: policy.determining },
    obligations: record.obligations ?? [],
    args_digest: record.args_digest ?? "",
    ...(record.retry_after !== undefined ? { retry_after: record.retry_after } : {}),
    ...(asked ? { approval_request: { id: asked.request_id, state: approvalState, expires_at: asked.expires_at } } : {}),
    ...(approval ? { approval: { request_id: approval.request_id, approver: approval.approver, decided_at: approval.decided_at } } : {}),
    ...(grant ? { grant: { id: grant.id, expires_at: grant.expires_at, uses_remaining: grant.uses_remaining } } : {}),
    ...(stepUp ? { step_up: { ...(stepUp.max_auth_age !== undefined ? { max_auth_age: stepUp.max_auth_age } : {}), ...(stepUp.acr ? { acr: stepUp.acr } : {}) } } : {}),
    ...(glass ? { break_glass: { session_id: glass.session_id, expires_at: glass.expires_at } } : {}),
    ledger: { index },
  };
}
