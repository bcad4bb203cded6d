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

/** The `decision` record input; raw arguments go in `sensitive`, so only their salted commitment enters the leaf. */
export function decisionRecord({ id, now, request, caller, subject, setVersion, argsDigest, verdict: v }: RecordArgs): RecordInputOfKind<"decision"> {
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

/** The decision as answered to the PEP, once its record sits at `index` in the ledger. */
export function answerOf({ id, now, request, subject, setVersion, argsDigest, verdict: v }: RecordArgs, index: number): Decision {
  return {
    decision_id: id,
    time: now.toISOString(),
    outcome: v.outcome,
    control: v.control,
    reason_code: v.reason,
    note: v.note,
    subject: { id: subject.identity?.id ?? subject.label, type: subject.identity?.type ?? "unknown", ...(subject.identity?.owner ? { owner: subject.identity.owner } : {}) },
    action: request.action,
    resource: { type: request.resource.type, id: request.resource.id },
    policy: { set_version: setVersion, determining: v.determining },
    obligations: v.obligations,
    args_digest: argsDigest,
    ...(v.retryAfter !== undefined ? { retry_after: v.retryAfter } : {}),
    ...(v.approvalRequest ? { approval_request: { id: v.approvalRequest.id, state: v.approvalRequest.state, expires_at: v.approvalRequest.expiresAt } } : {}),
    ...(v.approval ? { approval: { request_id: v.approval.requestId, approver: v.approval.approver, decided_at: v.approval.decidedAt } } : {}),
    ...(v.grant ? { grant: { id: v.grant.id, expires_at: v.grant.expiresAt, uses_remaining: v.grant.usesRemaining } } : {}),
    ...(v.stepUp ? { step_up: { ...(v.stepUp.maxAuthAge !== undefined ? { max_auth_age: v.stepUp.maxAuthAge } : {}), ...(v.stepUp.acr ? { acr: v.stepUp.acr } : {}) } } : {}),
    ...(v.breakGlass ? { break_glass: { session_id: v.breakGlass.sessionId, expires_at: v.breakGlass.expiresAt } } : {}),
    ledger: { index },
  };
}
