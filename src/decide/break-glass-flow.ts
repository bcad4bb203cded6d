// Opening, ending and reviewing break-glass sessions; each step is a ledger record.
import type { Identity, IdentityDirectory } from "../identity/index.js";
import type { Ledger } from "../ledger/index.js";
import { buildCedarRequest, interpret } from "../policy/index.js";
import { ArbiterError, isArbiterError, newRecordId, type Caller } from "../record/index.js";
import { scopeVerdict, unresolved, type Asserter } from "./asserter.js";
import type { BreakGlassRepository, BreakGlassSession } from "../store/index.js";
import { decisionRecord } from "./decision-record.js";
import type { DecisionEngine } from "./engine.js";
import type { DecisionRequest, SubjectRef } from "./request.js";
import { principalOf, resolveSubject } from "./subject.js";
import { verdict, type Verdict } from "./verdict.js";

export const BREAK_GLASS_ACTION = "break_glass";
export const BREAK_GLASS_RESOURCE = { type: "System", id: "arbiter" } as const;
const MIN_JUSTIFICATION = 10;
export const MAX_BREAK_GLASS_SECONDS = 4 * 3600;

export interface BreakGlassStart {
  subject: SubjectRef;
  justification: string;
  durationSeconds: number;
  correlation?: DecisionRequest["correlation"];
}

export interface BreakGlassOutcome {
  decisionId: string;
  outcome: Verdict["outcome"];
  reason: Verdict["reason"];
  note: string;
  session: BreakGlassSession | undefined;
  index: number;
}

/** Who ends or reviews a session: the subject of the event, and as its `caller` how that was determined. */
function operator(actor: Caller): { subject: { id: string; type: Caller["type"] }; caller: Caller } {
  return { subject: { id: actor.id, type: actor.type }, caller: actor };
}

export class BreakGlassFlow {
  constructor(
    private readonly engine: DecisionEngine,
    private readonly identities: IdentityDirectory,
    private readonly ledger: Ledger,
    private readonly book: BreakGlassRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Opens a session if policy lets this identity break glass; the attempt is a decision either way, naming who asked. */
  async start(start: BreakGlassStart, caller: Caller, asserter?: Asserter): Promise<BreakGlassOutcome> {
    try {
      return await this.attempt(start, caller, asserter);
    } catch (err) {
      // Another start opened a session between this one's check and its commit (the effect break_glass.open, store/sqlite/break-glass-repository.ts):
      // decide again, which now finds that session and records BREAK_GLASS_OPEN.
      if (isArbiterError(err) && err.code === "CONFLICT" && typeof err.details?.session_id === "string") return this.attempt(start, caller, asserter);
      throw err;
    }
  }

  private async attempt(start: BreakGlassStart, caller: Caller, asserter?: Asserter): Promise<BreakGlassOutcome> {
    const justification = start.justification.trim();
    if (justification.length < MIN_JUSTIFICATION) {
      throw new ArbiterError("REQUEST_INVALID", `break-glass needs a justification of at least ${MIN_JUSTIFICATION} characters`);
    }
    if (!Number.isInteger(start.durationSeconds) || start.durationSeconds < 60 || start.durationSeconds > MAX_BREAK_GLASS_SECONDS) {
      throw new ArbiterError("REQUEST_INVALID", `break-glass lasts between 60 and ${MAX_BREAK_GLASS_SECONDS} seconds`);
    }
    const now = this.now();
    const { set, engine } = this.engine.policy();
    const resolved = await resolveSubject(this.identities, start.subject, now);
    const outOfScope = scopeVerdict(asserter, start.subject, resolved, undefined);
    const subject = outOfScope ? unresolved(start.subject, resolved) : resolved;
    const request: DecisionRequest = { subject: start.subject, action: BREAK_GLASS_ACTION, resource: { ...BREAK_GLASS_RESOURCE }, ...(start.correlation ? { correlation: start.correlation } : {}) };
    const decisionId = newRecordId(now.getTime());
    let v: Verdict;
    let session: BreakGlassSession | undefined;
    if (outOfScope ?? subject.failure) {
      v = (outOfScope ?? subject.failure) as Verdict;
    } else {
      const identity = subject.identity as Identity;
      const policyVerdict = interpret(set, engine.evaluate(buildCedarRequest({
        principal: principalOf(identity),
        action: BREAK_GLASS_ACTION,
        resource: { ...BREAK_GLASS_RESOURCE },
        now,
        intent: justification,
        auth: { method: subject.method, age_seconds: subject.authAgeSeconds, acr: subject.acr },
        delegation: subject.auth?.delegation ?? [],
        args_digest: "",
      })));
      const open = policyVerdict.outcome === "allow" ? this.book.activeFor(identity.id, now) : undefined;
      if (open) {
        // One open session per identity: a second would hide which justification an override ran under.
        v = verdict({
          outcome: "deny",
          control: "break_glass",
          reason: "BREAK_GLASS_OPEN",
          note: `${identity.id} already has break-glass session ${open.id} open until ${open.expiresAt}; end it first (arbiter breakglass end ${open.id}, or POST /v1/breakglass/${open.id}/end).`,
          determining: policyVerdict.determining,
        });
      } else if (policyVerdict.outcome === "allow") {
        session = {
          id: `bgl_${decisionId}`,
          identityId: identity.id,
          // As the ledger holds it: a secret pasted into a justification is kept in neither.
          justification: this.ledger.redactText(justification),
          startedAt: now.toISOString(),
          expiresAt: new Date(now.getTime() + start.durationSeconds * 1000).toISOString(),
          endedAt: null,
          reviewedAt: null,
          reviewer: null,
          reviewNote: null,
          decisionCount: 0,
        };
        v = verdict({
          outcome: "allow",
          control: "break_glass",
          reason: "BREAK_GLASS",
          note: `Break-glass session ${session.id} opened for ${identity.id} until ${session.expiresAt}: ${session.justification}`,
          determining: policyVerdict.determining,
          breakGlass: { sessionId: session.id, expiresAt: session.expiresAt, justification: session.justification },
        });
        v.effects.push({ type: "break_glass.open", session });
      } else {
        v = verdict({ outcome: policyVerdict.outcome === "error" ? "error" : "deny", control: "break_glass", reason: policyVerdict.reason_code, note: `${identity.id} may not break glass: ${policyVerdict.note}`, determining: policyVerdict.determining });
      }
    }
    const record = decisionRecord({ id: decisionId, now, request, caller, subject, setVersion: set.version, argsDigest: "", verdict: v });
    const effects = v.effects;
    const appended = await this.ledger.appendBuilt(record, effects.length ? { effects } : {});
    return { decisionId, outcome: v.outcome, reason: v.reason, note: v.note, session, index: appended.index };
  }

  async end(id: string, actor: Caller, note = "ended"): Promise<BreakGlassSession> {
    const at = this.now().toISOString();
    await this.ledger.append(
      { kind: "event", source: "arbiter", ...operator(actor), action: "break_glass_end", resource: { id, type: "break_glass_session" }, outcome: "allow", note },
      { effects: [{ type: "break_glass.end", id, at }] },
    );
    return this.book.get(id) as BreakGlassSession;
  }

  /** Every session is reviewed after the fact; the review is itself evidence. */
  async review(id: string, reviewer: Caller, note: string): Promise<BreakGlassSession> {
    if (note.trim().length === 0) throw new ArbiterError("REQUEST_INVALID", "a review needs a note");
    const session = this.book.get(id);
    if (!session) throw new ArbiterError("NOT_FOUND", `break-glass session ${id} does not exist`, { id });
    if (session.identityId === reviewer.id) throw new ArbiterError("APPROVAL_NOT_ALLOWED", "a session cannot be reviewed by the identity that broke glass");
    const at = this.now().toISOString();
    await this.ledger.append(
      { kind: "event", source: "arbiter", ...operator(reviewer), action: "break_glass_review", resource: { id, type: "break_glass_session" }, outcome: "allow", note, attributes: { decisions_under_session: session.decisionCount } },
      { effects: [{ type: "break_glass.review", id, at, reviewer: reviewer.id, note }] },
    );
    return this.book.get(id) as BreakGlassSession;
  }
}
