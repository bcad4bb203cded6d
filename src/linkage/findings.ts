// The findings: what an event contradicts in its decision, its credential or its identity, checked against real state.
import { argsDigest } from "../decide/index.js";
import type { FindingCode, JsonObject } from "../record/index.js";
import type { DecisionDetail } from "../store/index.js";
import { OUTCOME_CODES, type DecisionTable } from "./decision-table.js";
import { executed, reached, type LinkEvent, type Position } from "./event.js";
import type { IdentityState } from "./identity-state.js";
import type { JoinMatch, JoinOutcome } from "./join.js";
import type { PrincipalResolver, PrincipalRule } from "./principals.js";

export interface FindingDraft {
  code: FindingCode;
  note: string;
  evidence: JsonObject;
}

export interface FindingContext {
  table: DecisionTable;
  state: IdentityState;
  skewMs: number;
  windowMs: number;
  bindingKey: Buffer;
  detail: (ledgerIndex: number) => DecisionDetail | undefined;
  /** The first event each grant-backed decision explained: one grant use explains one call. */
  grantUses: Map<number, Position>;
  /** Events that fell inside the skew tolerance of a boundary (not findings, but counted). */
  withinSkew: { count: number };
}

const iso = (ms: number): string => new Date(ms).toISOString();

interface Crossing {
  margin_ms: number;
  skew_ms: number;
  near_boundary: boolean;
}

/**
 * Whether an event at `eventMs` lies past `boundaryMs` by more than the skew tolerance. Inside the
 * tolerance it is counted, not reported; a finding within two tolerances says it was near.
 */
function crossed(eventMs: number, boundaryMs: number, ctx: FindingContext): Crossing | undefined {
  const margin = eventMs - boundaryMs;
  if (margin < -ctx.skewMs) return undefined;
  if (margin < ctx.skewMs) {
    ctx.withinSkew.count++;
    return undefined;
  }
  return { margin_ms: margin, skew_ms: ctx.skewMs, near_boundary: margin < 2 * ctx.skewMs };
}

function nearNote(c: Crossing): string {
  return c.near_boundary ? ` This is close to the ${c.skew_ms / 1000} s clock-skew tolerance: compare the source's clock with Arbiter's.` : "";
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** Revocation and rotation of the credential the event used, as they stood at the event's time. */
export function credentialFindings(event: LinkEvent, ctx: FindingContext): FindingDraft[] {
  const id = event.subject.credentialId;
  const facts = id === undefined || !reached(event.outcome) ? undefined : ctx.state.credentials.get(id);
  if (facts === undefined) return [];
  const base = { credential_id: facts.id, identity_id: facts.identityId, event_time: iso(event.timeMs) };
  // Completing a task revokes its tokens at the same instant: the task is the finding worth naming.
  if (facts.task !== null && facts.taskCompletedAt !== null) {
    const c = crossed(event.timeMs, Date.parse(facts.taskCompletedAt), ctx);
    if (c) {
      return [{
        code: "USED_AFTER_TASK_COMPLETED",
        evidence: { ...base, task: facts.task, task_completed_at: facts.taskCompletedAt, ...c },
        note: `Token ${facts.id} of ${facts.identityId} was issued for task ${facts.task}, completed at ${facts.taskCompletedAt}, and used ${seconds(c.margin_ms)} after that.${nearNote(c)}`,
      }];
    }
  }
  if (facts.revokedAt !== null) {
    const c = crossed(event.timeMs, Date.parse(facts.revokedAt), ctx);
    if (c) {
      return [{ code: "CREDENTIAL_REVOKED_AT_USE", evidence: { ...base, revoked_at: facts.revokedAt, ...c }, note: `${facts.id} of ${facts.identityId} was used ${seconds(c.margin_ms)} after it was revoked at ${facts.revokedAt}.${nearNote(c)}` }];
    }
  }
  if (facts.kind === "api_key" && facts.rotatedAt !== null) {
    const graceEnd = facts.expiresAt ?? facts.rotatedAt;
    const c = crossed(event.timeMs, Date.parse(graceEnd), ctx);
    if (c) {
      return [{
        code: "CREDENTIAL_ROTATED_AT_USE",
        evidence: { ...base, rotated_at: facts.rotatedAt, grace_until: graceEnd, replaced_by: facts.replacedBy, ...c },
        note: `${facts.id} of ${facts.identityId} was replaced by ${facts.replacedBy ?? "a new key"} at ${facts.rotatedAt} (accepted until ${graceEnd}) and still used ${seconds(c.margin_ms)} after that.${nearNote(c)}`,
      }];
    }
  }
  const holder = ctx.state.identities.get(facts.identityId)?.identity;
  const notBefore = holder?.credentials_not_before ?? null;
  if (facts.kind === "token" && notBefore !== null && facts.createdMs < Date.parse(notBefore)) {
    const graceEnd = holder?.credentials_grace_until ?? notBefore;
    const c = crossed(event.timeMs, Date.parse(graceEnd), ctx);
    if (c) {
      return [{
        code: "CREDENTIAL_ROTATED_AT_USE",
        evidence: { ...base, rotated_at: notBefore, grace_until: graceEnd, issued_at: iso(facts.createdMs), ...c },
        note: `Token ${facts.id} was issued before ${facts.identityId}'s credentials were rotated at ${notBefore} and still used ${seconds(c.margin_ms)} after ${graceEnd}.${nearNote(c)}`,
      }];
    }
  }
  return [];
}

/** The digest of what the event says it was called with, comparable to the decision's, or undefined. */
function eventDigest(event: LinkEvent, bound: string, key: Buffer): string | undefined {
  let digest = event.argsDigest;
  try {
    digest ??= event.args !== undefined ? argsDigest(key, event.args) : undefined;
  } catch {
    // Arguments that are not I-JSON (a lone surrogate, a huge number) have no canonical form to compare.
    return undefined;
  }
  // A plain sha256 from outside and Arbiter's keyed digest cannot be compared; say nothing rather than guess.
  return digest !== undefined && digest.split(":")[0] === bound.split(":")[0] ? digest : undefined;
}

function grantFindings(event: LinkEvent, match: JoinMatch, d: DecisionDetail, ctx: FindingContext): FindingDraft[] {
  if (d.grant_id === null) return [];
  const evidence = { grant_id: d.grant_id, decision_id: d.decision_id, event_time: iso(event.timeMs) };
  if (d.grant_expires_at !== null) {
    const c = crossed(event.timeMs, Date.parse(d.grant_expires_at), ctx);
    if (c) {
      return [{ code: "GRANT_EXPIRED_AT_USE", evidence: { ...evidence, expires_at: d.grant_expires_at, ...c }, note: `Grant ${d.grant_id} expired at ${d.grant_expires_at}; the action ran ${seconds(c.margin_ms)} later under decision ${d.decision_id}.${nearNote(c)}` }];
    }
  }
  const first = ctx.grantUses.get(match.row);
  if (first === undefined) {
    ctx.grantUses.set(match.row, event.at);
    return [];
  }
  return [{
    code: "GRANT_EXPIRED_AT_USE",
    evidence: { ...evidence, used_up: true, first_use: { file: first.file, line: first.line } },
    note: `Decision ${d.decision_id} spent one use of grant ${d.grant_id} and already explains the event at ${first.file}:${first.line}; this second execution had no use left.`,
  }];
}

/** What an approval or grant bound: the exact action, resource and arguments. */
type Bound = Pick<DecisionDetail, "action" | "resource_id" | "args_digest" | "grant_id" | "approval_request_id"> & { decision_id: string | null };

function scopeFindings(event: LinkEvent, d: Bound, ctx: FindingContext): FindingDraft[] {
  if (d.grant_id === null && d.approval_request_id === null) return [];
  const actualDigest = d.args_digest === null ? undefined : eventDigest(event, d.args_digest, ctx.bindingKey);
  const differs: string[] = [];
  if (event.action !== d.action) differs.push("action");
  if (event.resource.id !== d.resource_id) differs.push("resource");
  if (actualDigest !== undefined && actualDigest !== d.args_digest) differs.push("arguments");
  if (differs.length === 0) return [];
  return [{
    code: "APPROVAL_SCOPE_MISMATCH",
    evidence: {
      decision_id: d.decision_id,
      approval_request_id: d.approval_request_id,
      grant_id: d.grant_id,
      differs,
      approved: { action: d.action, resource: d.resource_id, args_digest: d.args_digest },
      executed: { action: event.action, resource: event.resource.id, args_digest: actualDigest ?? null },
    },
    note: `Approval ${d.approval_request_id ?? `(grant ${d.grant_id ?? "?"})`} covered ${d.action} on ${d.resource_id}; the event shows a different ${differs.join(" and ")}.`,
  }];
}

/** A grant the event itself names (an app that logs the grant it used), checked whatever decision it links to. */
export function carriedGrantFindings(
  event: LinkEvent,
  grant: { id: string; expiresAt: string; action: string; resourceId: string; argsDigest: string; approvalId: string | null } | undefined,
  ctx: FindingContext,
): FindingDraft[] {
  if (grant === undefined || !reached(event.outcome)) return [];
  const out: FindingDraft[] = [];
  const c = crossed(event.timeMs, Date.parse(grant.expiresAt), ctx);
  if (c) {
    out.push({ code: "GRANT_EXPIRED_AT_USE", evidence: { grant_id: grant.id, expires_at: grant.expiresAt, event_time: iso(event.timeMs), ...c }, note: `The event used grant ${grant.id} ${seconds(c.margin_ms)} after it expired at ${grant.expiresAt}.${nearNote(c)}` });
  }
  const bound: Bound = { decision_id: null, action: grant.action, resource_id: grant.resourceId, args_digest: grant.argsDigest, grant_id: grant.id, approval_request_id: grant.approvalId };
  return [...out, ...scopeFindings(event, bound, ctx)];
}

/** Findings about the decision an event was linked to. */
export function decisionFindings(event: LinkEvent, match: JoinMatch, ctx: FindingContext): FindingDraft[] {
  const { table } = ctx;
  const row = match.row;
  const outcome = OUTCOME_CODES[table.outcome[row] as number] ?? "error";
  const index = table.ledgerIndex[row] as number;
  const out: FindingDraft[] = [];
  let detail: DecisionDetail | undefined;
  if (executed(event.outcome) && outcome !== "allow") {
    detail = ctx.detail(index);
    out.push({
      code: "EXECUTED_DESPITE_DENY",
      evidence: { decision_id: table.ids.get(row), decision_outcome: outcome, decision_reason: detail?.reason_code ?? null, engine: detail?.engine ?? null, decision_time: iso(table.time[row] as number), event_outcome: event.outcome, key: match.key, confidence: match.confidence },
      note: `${event.action} on ${event.resource.id} was executed although ${detail?.engine === "arbiter" || detail === undefined ? "Arbiter's" : `${detail.engine}'s`} decision ${table.ids.get(row)} was ${outcome}${detail?.reason_code ? ` (${detail.reason_code})` : ""}.`,
    });
  }
  if (table.bound[row] === 1 && reached(event.outcome)) {
    detail ??= ctx.detail(index);
    if (detail) out.push(...grantFindings(event, match, detail, ctx), ...scopeFindings(event, detail, ctx));
  }
  return out;
}

export function unlinkedFinding(event: LinkEvent, outcome: JoinOutcome, ctx: FindingContext): FindingDraft {
  const tried = [
    ...(event.decisionId !== undefined ? ["decision_id"] : []),
    ...(event.traceId !== undefined ? ["trace_id"] : []),
    ...(event.subject.credentialId !== undefined ? ["credential"] : []),
    "subject_action_resource",
  ];
  const missing = outcome.unknownDecisionId;
  return {
    code: "UNLINKED_ACTION",
    evidence: { keys_tried: tried, window_seconds: ctx.windowMs / 1000, event_outcome: event.outcome, ...(missing !== undefined ? { unknown_decision_id: missing } : {}) },
    note: `No decision explains ${event.action} on ${event.resource.id} by ${event.subject.id} at ${iso(event.timeMs)} (tried ${tried.join(", ")}): the enforcement point was bypassed or does not cover this action.${missing !== undefined ? ` The event names decision ${missing}, which is not in the ledger.` : ""}`,
  };
}

export interface OwnerGapFound {
  /** The Arbiter identity that acted, or the source's own name when it stands for none. */
  identityId: string;
  why: string;
  known: boolean;
  /** How the source's name led to the identity, when it was not the identity's own id or credential. */
  mapped?: { principal: string; rule: PrincipalRule };
}

/**
 * Who acted without an accountable owner: the identity of the event's credential, else the one its
 * principal stands for (principals.ts), when that identity has no accountable owner; or a
 * non-human principal that stands for no identity Arbiter knows.
 */
export function ownerGap(event: LinkEvent, state: IdentityState, principals: PrincipalResolver): OwnerGapFound | undefined {
  if (!reached(event.outcome)) return undefined;
  const credential = event.subject.credentialId === undefined ? undefined : state.credentials.get(event.subject.credentialId);
  const names = event.subject.principal !== undefined && event.subject.principal !== event.subject.id ? [event.subject.id, event.subject.principal] : [event.subject.id];
  const match = credential === undefined ? principals.resolve(names) : undefined;
  const id = credential?.identityId ?? match?.identity ?? event.subject.id;
  const mapped = match !== undefined && match.rule !== "same" ? { mapped: { principal: match.principal, rule: match.rule } } : {};
  const facts = state.identities.get(id);
  if (facts) return facts.ownerProblem === undefined ? undefined : { identityId: id, why: facts.ownerProblem, known: true, ...mapped };
  if (match !== undefined) return { identityId: event.subject.id, why: `the principal map names ${id} for it, an identity Arbiter does not know`, known: false, ...mapped };
  const type = event.subject.type;
  if (type === "unknown" || type === "human") return undefined;
  return { identityId: event.subject.id, why: `it is a ${type} that stands for no identity Arbiter knows (add it with arbiter identity create, or name its identity with --principal-map)`, known: false };
}

/** The finding for an identity without owner, once per run, over the `count` events it acted in. */
export function ownerFinding(identityId: string, found: OwnerGapFound, first: LinkEvent, count: number, lastMs: number): FindingDraft {
  const who = found.mapped !== undefined ? `${found.mapped.principal} (identity ${identityId}, by ${found.mapped.rule})` : identityId;
  const when = count === 1 ? `at ${iso(first.timeMs)}` : `${count} times between ${iso(first.timeMs)} and ${iso(lastMs)}`;
  return {
    code: "IDENTITY_WITHOUT_OWNER",
    evidence: {
      identity_id: identityId,
      known_to_arbiter: found.known,
      why: found.why,
      ...(found.mapped !== undefined ? { source_principal: found.mapped.principal, mapped_by: found.mapped.rule } : {}),
      events: count,
      first_time: iso(first.timeMs),
      last_time: iso(lastMs),
      first_event: { file: first.at.file, line: first.at.line },
    },
    note: `${who} acted ${when} with nobody accountable for it: ${found.why}.`,
  };
}
