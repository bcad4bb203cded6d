// The decision point: authenticate, evaluate Cedar policy, apply the stateful controls, record, answer.
import type { Identity, IdentityDirectory } from "../identity/index.js";
import type { Ledger } from "../ledger/index.js";
import { buildCedarRequest, interpret, matchingLimits, PolicyEngine, type CedarRequest, type PolicySet, type PolicyStore, type PolicyVerdict, type RequestInput } from "../policy/index.js";
import { ArbiterError, Listeners, newRecordId, type Caller } from "../record/index.js";
import { ApprovalFlow } from "./approval-flow.js";
import type { ApprovalListener, ApprovalOpened } from "./approval-opened.js";
import type { ApprovalRepository } from "../store/index.js";
import { scopeVerdict, unresolved, type Asserter } from "./asserter.js";
import { argsDigest, type CallBinding } from "./binding.js";
import type { BreakGlassRepository } from "../store/index.js";
import { answerOf, decisionRecord, type Decision, type WhatIf } from "./decision-record.js";
import { evaluatedPart } from "./evaluated.js";
import type { GrantRepository } from "../store/index.js";
import { judge } from "./policy-verdict.js";
import { LimitStoreUnavailable, type LimitStore } from "./rate-limit.js";
import type { RecentDecisions } from "./recent-decisions.js";
import { refusalVerdict, type RefusalRequest } from "./refusal.js";
import type { DecisionRequest } from "./request.js";
import { principalOf, resolveSubject, secondsSince, UNKNOWN_AUTH_AGE, type ResolvedSubject } from "./subject.js";
import { overridable, verdict, type Verdict } from "./verdict.js";

export interface DecisionEngineDeps {
  ledger: Ledger;
  identities: IdentityDirectory;
  policies: PolicyStore;
  approvals: ApprovalRepository;
  grants: GrantRepository;
  breakGlass: BreakGlassRepository;
  /** Where rate-limit and quota counters live; shared by every process deciding for the deployment. */
  limits: LimitStore;
  bindingKey: Buffer;
  now?: () => Date;
  /** Where each durable decision is remembered for the enforcement record that follows it (DecisionLog.report). */
  recent?: RecentDecisions;
}

/** The `acr` policy sees when the person at the client confirmed the call (see DecisionRequest.confirmation). */
export const USER_CONFIRMATION_ACR = "user_confirmation";

/** A decision's commit refused because the grant it used has no use left: see DecisionEngine.decide. */
class GrantTaken extends Error {
  constructor(readonly conflict: ArbiterError) {
    super(conflict.message);
  }
}

export class DecisionEngine {
  private readonly deps: DecisionEngineDeps;
  private readonly now: () => Date;
  private readonly approvalFlow: ApprovalFlow;
  private readonly announcer = new Listeners<ApprovalOpened>();
  private compiled: PolicyEngine | undefined;

  constructor(deps: DecisionEngineDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
    this.approvalFlow = new ApprovalFlow(deps, this.now);
  }

  get approvals(): ApprovalFlow {
    return this.approvalFlow;
  }

  /** Calls `listener` for each approval request a decision opens, once the decision is durable; returns the function that stops it. */
  onApprovalOpened(listener: ApprovalListener): () => void {
    return this.announcer.add(listener);
  }

  /** The active policy set and its compiled, sliced engine (rebuilt when another process activates a new version). */
  policy(state?: number): { set: PolicySet; engine: PolicyEngine } {
    const set = this.deps.policies.active(state);
    if (!set) throw new ArbiterError("NO_ACTIVE_POLICY", "no policy set is active; run `arbiter policy activate DIR`");
    if (this.compiled?.set.version !== set.version) {
      this.compiled?.dispose();
      this.compiled = new PolicyEngine(set);
    }
    return { set, engine: this.compiled };
  }

  /**
   * Decides one request and returns only once the decision record is durable; fails closed otherwise.
   * `caller` is who asked, as the door authenticated it (never taken from the request body);
   * `asserter`, the PEP whose assertions about the caller are checked against its scope.
   */
  async decide(request: DecisionRequest, caller: Caller, asserter?: Asserter): Promise<Decision> {
    // The grant's last use taken by another call (another process or replica) between this
    // decision's read and its commit: decided once more on the state as it is now, so that the
    // answer and the record say what the grant's absence means (a new approval request) instead of
    // a bare CONFLICT with nothing recorded.
    try {
      return await this.decideOnce(request, caller, asserter);
    } catch (err) {
      if (!(err instanceof GrantTaken)) throw err;
    }
    return this.decideOnce(request, caller, asserter).catch((err: unknown) => {
      throw err instanceof GrantTaken ? err.conflict : err;
    });
  }

  private async decideOnce(request: DecisionRequest, caller: Caller, asserter?: Asserter): Promise<Decision> {
    const now = this.now();
    const decisionId = newRecordId(now.getTime());
    // One read of the change counter serves the policy and identity lookups of this decision.
    const state = this.deps.identities.changeVersion();
    const { set, engine } = this.policy(state);
    const resolved = await resolveSubject(this.deps.identities, request.subject, now, state);
    const digest = argsDigest(this.deps.bindingKey, request.args);
    const outOfScope = scopeVerdict(asserter, request.subject, resolved, request.confirmation);
    const subject = outOfScope ? unresolved(request.subject, resolved) : resolved;
    const v = outOfScope ?? subject.failure ?? (await this.evaluate(request, subject, set, engine, decisionId, digest, now));
    const record = decisionRecord({ id: decisionId, now, request, caller, subject, setVersion: set.version, argsDigest: digest, verdict: v });
    const effects = v.effects;
    // A unit of a quota counts a recorded decision: a call refused before its record was written
    // (a grant another call used first, a ledger that cannot write) gives it back.
    const recorded = this.deps.ledger.appendBuilt(record, effects.length ? { effects } : {}).catch(async (err: unknown) => {
      // A refund that fails (the limit store went away) leaves the unit spent: counting too much is the safe side.
      await Promise.allSettled((v.refunds ?? []).map((refund) => refund()));
      if (err instanceof ArbiterError && err.code === "CONFLICT" && effects.some((e) => e.type === "grant.consume")) throw new GrantTaken(err);
      throw err;
    });
    const [appended] = await Promise.all([recorded, ...v.companions.map((c) => this.deps.ledger.append(c.input, c.effects ? { effects: c.effects } : {}))]);
    this.deps.recent?.remember(decisionId, record);
    if (v.opened && subject.identity) {
      const { identity } = subject;
      const { opened } = v;
      this.announcer.emit(
        {
          requestId: opened.requestId,
          decisionId,
          requester: { id: identity.id, type: identity.type, ...(identity.owner ? { owner: identity.owner } : {}) },
          action: request.action,
          resource: { type: request.resource.type, id: request.resource.id },
          ...(request.args !== undefined ? { args: request.args } : {}),
          note: opened.note,
          policy: opened.policy,
          approverRole: opened.approverRole,
          createdAt: opened.createdAt,
          expiresAt: opened.expiresAt,
          ...(request.pep ? { pep: request.pep } : {}),
        },
        (err) => process.emitWarning(`an approval listener failed for ${opened.requestId}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    return answerOf(record, appended.index, v.approvalRequest?.state);
  }

  /**
   * Records a refusal the enforcement point made before policy could be asked (see refusal.ts) and
   * returns it as a decision; durable before it resolves, like every decision.
   */
  async refuse(request: RefusalRequest, caller: Caller | undefined, asserter?: Asserter): Promise<Decision> {
    const now = this.now();
    const id = newRecordId(now.getTime());
    // One read of the change counter, as for a decision: a flood of refusals costs no more reads.
    const state = this.deps.identities.changeVersion();
    // The subject is resolved for the record only: whatever it is, the answer stays the PEP's refusal.
    const resolved: ResolvedSubject = request.subject
      ? await resolveSubject(this.deps.identities, request.subject, now, state)
      : { identity: undefined, auth: undefined, method: "asserted", authAgeSeconds: UNKNOWN_AUTH_AGE, acr: "", label: request.label ?? "anonymous" };
    // A refusal naming a caller outside the PEP's scope would still put that name in the record.
    const outOfScope = request.subject ? scopeVerdict(asserter, request.subject, resolved, undefined) : undefined;
    const subject = outOfScope && request.subject ? unresolved(request.subject, resolved) : resolved;
    const { action, resource, pep, correlation, observed } = request;
    const args = { id, now, request: { action, resource, pep, ...(correlation ? { correlation } : {}), ...(observed ? { observed } : {}) }, ...(caller ? { caller } : {}), subject, setVersion: this.deps.policies.activeVersion(state) ?? "none", argsDigest: "", verdict: outOfScope ?? refusalVerdict(request) };
    const record = decisionRecord(args);
    const appended = await this.deps.ledger.appendBuilt(record);
    return answerOf(record, appended.index);
  }

  /**
   * What policy alone would answer if the request came at `at` (the time rules, say), for a person
   * at the command line: the identity as it is now, no record written, no approval request opened,
   * no grant, break-glass session, rate or quota unit used. Not a decision, so no door that
   * enforces may ask for one: a PEP cannot choose the time of its decisions.
   */
  async whatIf(request: DecisionRequest, at: Date): Promise<WhatIf> {
    const now = this.now();
    const state = this.deps.identities.changeVersion();
    const { set, engine } = this.policy(state);
    const subject = await resolveSubject(this.deps.identities, request.subject, now, state);
    const digest = argsDigest(this.deps.bindingKey, request.args);
    let v = subject.failure;
    if (!v) {
      const { effective } = judge(set, engine, buildCedarRequest(this.requestInput(request, subject, digest, at)));
      v = verdict({ outcome: effective.outcome, control: effective.control, reason: effective.reason_code, note: effective.note, determining: effective.determining, obligations: effective.obligations });
    }
    const { decision_id: _id, ledger: _ledger, ...answer } = answerOf(decisionRecord({ id: "", now: at, request, subject, setVersion: set.version, argsDigest: digest, verdict: v }), -1, v.approvalRequest?.state);
    return { ...answer, what_if: { at: at.toISOString(), evaluated_at: now.toISOString(), recorded: false } };
  }

  private async evaluate(request: DecisionRequest, subject: ResolvedSubject, set: PolicySet, engine: PolicyEngine, decisionId: string, digest: string, now: Date): Promise<Verdict> {
    const identity = subject.identity as Identity;
    const input = this.requestInput(request, subject, digest, now);
    const cedarRequest = buildCedarRequest(input);
    const { first, effective } = judge(set, engine, cedarRequest);
    const v = await this.applyControls(request, identity, set, engine, cedarRequest, first, effective, decisionId, digest, now);
    // The record keeps what policy saw, and policy's own verdict when a gate, grant, limit or break-glass changed the answer.
    const same = v.outcome === effective.outcome && v.reason === effective.reason_code && v.determining.join() === effective.determining.join();
    v.evaluated = evaluatedPart(set, input, request.correlation?.trace_id, same ? undefined : { outcome: effective.outcome, reason_code: effective.reason_code, determining: effective.determining });
    return v;
  }

  /** What policy sees of a request from a resolved subject, at `now`. */
  private requestInput(request: DecisionRequest, subject: ResolvedSubject, digest: string, now: Date): RequestInput {
    const identity = subject.identity as Identity;
    return {
      principal: principalOf(identity),
      action: request.action,
      resource: { type: request.resource.type, id: request.resource.id, ...(request.resource.attributes ? { attributes: request.resource.attributes } : {}), ...(request.resource.parents ? { parents: request.resource.parents } : {}) },
      ...(request.context ? { context: request.context } : {}),
      now,
      intent: request.intent ?? subject.auth?.intent ?? "",
      auth: request.confirmation
        ? { method: subject.method, age_seconds: secondsSince(request.confirmation.confirmed_at, now), acr: USER_CONFIRMATION_ACR }
        : { method: subject.method, age_seconds: subject.authAgeSeconds, acr: subject.acr },
      delegation: subject.auth?.delegation ?? [],
      ...(request.args !== undefined ? { args: request.args } : {}),
      args_digest: digest,
    };
  }

  private async applyControls(request: DecisionRequest, identity: Identity, set: PolicySet, engine: PolicyEngine, cedarRequest: CedarRequest, policyVerdict: PolicyVerdict, effective: PolicyVerdict, decisionId: string, digest: string, now: Date): Promise<Verdict> {
    const stepUp = effective === policyVerdict ? policyVerdict.stepUp : undefined;
    let v = verdict({
      outcome: effective.outcome,
      control: effective.control,
      reason: effective.reason_code,
      note: effective.note,
      determining: effective.determining,
      obligations: effective.obligations,
      ...(stepUp ? { stepUp: { ...(stepUp.maxAuthAgeSeconds !== undefined ? { maxAuthAge: stepUp.maxAuthAgeSeconds } : {}), ...(stepUp.acr ? { acr: stepUp.acr } : {}) } } : {}),
    });
    // The resource id as the ledger holds it: approvals and grants are stored and matched by it, so a
    // secret in a URI (?token=…) stays out of their tables too, and equal ids still meet.
    const binding: CallBinding = { subjectId: identity.id, action: request.action, resourceType: request.resource.type, resourceId: this.deps.ledger.redactText(request.resource.id), argsDigest: digest };

    const session = overridable(v) ? this.deps.breakGlass.activeFor(identity.id, now) : undefined;
    if (session) {
      const override = verdict({
        outcome: "allow",
        control: "break_glass",
        reason: "BREAK_GLASS",
        note: `Break-glass session ${session.id} of ${identity.id} overrode ${v.reason} ("${v.note}"); justification: ${session.justification}`,
        determining: v.determining,
        breakGlass: { sessionId: session.id, expiresAt: session.expiresAt, justification: session.justification },
      });
      override.effects.push({ type: "break_glass.use", id: session.id });
      return override;
    }
    if (v.outcome === "challenge" && policyVerdict.gate) {
      v = this.approvalFlow.gate({ binding, identity, gate: policyVerdict.gate, verdict: v, decisionId, setVersion: set.version, now, retry: () => interpret(set, engine.evaluate(cedarRequest, { excludeReasons: ["APPROVAL_REQUIRED"] })) });
    }
    if (v.outcome === "allow") v = await this.applyLimits(set, identity, request.action, v, now);
    return v;
  }

  private async applyLimits(set: PolicySet, identity: Identity, action: string, v: Verdict, now: Date): Promise<Verdict> {
    const limits = matchingLimits(set.limits, { principalType: identity.type, principalId: identity.id, groups: identity.groups, action });
    if (limits.length === 0) return v;
    let check;
    try {
      check = await this.deps.limits.take(limits, identity.id, action, now);
    } catch (err) {
      // Fail closed: a limit nobody can count is a limit that could be exceeded.
      const why = err instanceof LimitStoreUnavailable ? err.message : "the limit store failed";
      return verdict({
        outcome: "deny",
        control: "rate_limit",
        reason: "RATE_LIMIT_UNAVAILABLE",
        note: `Limit ${limits.map((l) => l.id).join(", ")} on ${action} for ${identity.id} could not be checked (${why}), so the call is refused.`,
        determining: v.determining,
      });
    }
    if (!check.allowed) {
      return verdict({
        outcome: "deny",
        control: "rate_limit",
        reason: check.kind === "quota" ? "QUOTA_EXCEEDED" : "RATE_LIMITED",
        note: `${check.kind === "quota" ? "Quota" : "Rate limit"} ${check.limitId} (${check.limit}) is used up for ${identity.id} on ${action}; retry in ${check.retryAfterSeconds} s.`,
        determining: v.determining,
        retryAfter: check.retryAfterSeconds,
      });
    }
    (v.refunds ??= []).push(check.refund);
    if (check.remaining !== undefined && check.resetAt) {
      v.obligations.push({ type: "rate", remaining: check.remaining, reset_at: check.resetAt.toISOString() });
    }
    return v;
  }
}
