// One HTTP request checked: canonical path, route, caller, decision (durable first), answer. Every door
// (forward-auth, Envoy gRPC, the reverse proxy) goes through here, so all refuse the same things the same way.
import { isUndecidableRequest, type Decision, type DecisionRequest, type EnforcementReport, type RefusalRequest } from "../../decide/index.js";
import { isArbiterError, type Caller, type JsonObject, type Pep } from "../../record/index.js";
import type { DecisionPoint } from "../decision-point/index.js";
import { maskPlan, type MaskPlan } from "../masking/index.js";
import { answerFor, undecidedAnswer, type CheckAnswer } from "./answer.js";
import type { CallerResolver } from "./callers.js";
import type { HeaderView } from "./headers.js";
import { requestOf } from "./mapping.js";
import type { OriginalRequest } from "./original.js";
import { EnforcementReports } from "./reports.js";
import { matchRoute } from "./route-match.js";
import type { RoutesSource } from "./routes-source.js";
import { canonicalTarget } from "./target.js";
import { traceOf, type TraceContext } from "./trace.js";

export interface CheckInput {
  /** The enforcement point that asks; undefined when its credential was missing or refused. */
  pep: Pep | undefined;
  /** Why the PEP was refused, when it was. */
  pepProblem?: string;
  /** The PEP as authenticated, for the records (the point's own caller when absent). */
  caller?: Caller;
  /** The original request, or why it could not be told (conflicting forwarded headers, say). */
  original: { ok: true; original: OriginalRequest } | { ok: false; problem: string; method?: string; target?: string };
  headers: HeaderView;
  /** The request body when the door has it (reverse proxy, Envoy with_request_body); undefined otherwise. */
  body?: Buffer;
  /** Whether this door can apply mask obligations to the response (only the reverse proxy can). */
  canMask: boolean;
}

export interface CheckResult extends CheckAnswer {
  /** The decision made or the refusal recorded; undefined when nothing could be recorded. */
  decision?: Decision;
  /** On allow through the reverse proxy: what to mask in the response. */
  mask?: MaskPlan;
}

export interface HttpEnforcerOptions {
  point: DecisionPoint;
  routes: RoutesSource;
  callers: CallerResolver;
  log: (line: string) => void;
  now?: () => Date;
  /** Refusals of requests without a valid PEP credential recorded per second at most (flood bound). */
  unauthenticatedPerSecond?: number;
}

const DEFAULT_UNAUTHENTICATED_PER_SECOND = 20;
const UNAUTHENTICATED_PEP: Pep = { id: "unauthenticated", kind: "http" };

export class HttpEnforcer {
  private readonly now: () => Date;
  private budget = { second: 0, used: 0, suppressed: 0 };
  /** Enforcement records written behind the answers of every HTTP door of this process. */
  readonly reports: EnforcementReports;

  constructor(private readonly options: HttpEnforcerOptions) {
    this.now = options.now ?? (() => new Date());
    this.reports = new EnforcementReports(options.point, options.log, this.now);
  }

  get routes(): RoutesSource {
    return this.options.routes;
  }

  /** What an enforcement point of this process did with a decision (the reverse proxy), as the point's own caller; appended after the answer. */
  report(decisionId: string, report: EnforcementReport): void {
    void this.reports.submit(decisionId, report);
  }

  async check(input: CheckInput): Promise<CheckResult> {
    const trace = traceOf(first(input.headers, "traceparent"), first(input.headers, "x-request-id"));
    const seenMethod = input.original.ok ? input.original.original.method : (input.original.method ?? "UNKNOWN");
    const seenTarget = input.original.ok ? input.original.original.target : input.original.target;
    const fallback = { action: `http:${seenMethod.slice(0, 16)}`, resource: { type: "HttpPath", id: pathOnly(seenTarget) } };
    if (!input.pep) return this.unauthenticated(input, fallback, trace);
    const pep = input.pep;
    const refuse = (reason: RefusalRequest["reason_code"], note: string, at = fallback, extra: Partial<RefusalRequest> = {}): Promise<CheckResult> =>
      this.refuse({ ...at, pep, reason_code: reason, note, correlation: trace.correlation, ...extra }, trace, input.caller);

    if (!input.original.ok) return refuse("REQUEST_REJECTED", `The request was refused before policy was asked: ${input.original.problem}.`);
    const original = input.original.original;
    const headerProblem = input.headers.problem();
    if (headerProblem) return refuse("REQUEST_REJECTED", `The request was refused before policy was asked: ${headerProblem}.`);
    const target = canonicalTarget(original.target);
    if (!target.ok) return refuse("REQUEST_REJECTED", `The request was refused before policy was asked: ${target.problem}.`, fallback, { observed: { http: { method: original.method, host: original.host, target_rejected: pathOnly(original.target).slice(0, 256) } } });
    const table = this.options.routes.current();
    const match = matchRoute(table.routes, original.method, original.host, target.target.segments);
    const http: JsonObject = { method: original.method, host: original.host, path: target.target.path, routes_version: table.version, ...(original.scheme ? { scheme: original.scheme } : {}) };
    const unmatched = match ? undefined : table.unmatched.find((u) => (u.host === undefined || u.host === original.host) && target.target.path.startsWith(u.prefix));
    if (!match && !unmatched) {
      return refuse("NO_ROUTE", `No route in the routes file matches ${original.method} ${original.host}${target.target.path}, so it is denied.`, { action: fallback.action, resource: { type: "HttpPath", id: `${original.host}${target.target.path}` } }, { observed: { http } });
    }
    const mapped = requestOf({ match, unmatched, original, target: target.target, headers: input.headers, body: input.body });
    if (!mapped.ok) return refuse("REQUEST_REJECTED", `The request was refused before policy was asked: ${mapped.problem}.`, mapped.at, { observed: { http: { ...http, ...mapped.http } } });
    http.route = mapped.http.route ?? null;
    const caller = await this.options.callers.resolve(table, input.headers, pep.id, this.now());
    const observed = { http: { ...http, caller: caller.via ?? null } };
    if (!caller.ok) return refuse(caller.reason, `The caller was refused: ${caller.note}.`, mapped.at, { observed });
    const request: DecisionRequest = { subject: caller.subject, ...mapped.request, pep, correlation: trace.correlation, observed };
    let decision: Decision;
    try {
      decision = await this.options.point.decide(request, input.caller);
    } catch (err) {
      if (isArbiterError(err) && err.code === "IDENTITY_NOT_FOUND") return refuse("UNKNOWN_PRINCIPAL", `${err.message}.`, mapped.at, { observed, label: "id" in caller.subject ? caller.subject.id : "anonymous" });
      if (isUndecidableRequest(err)) {
        return refuse("DECISION_ERROR", `No decision could be made for this route (${err.code}): ${err.message}`, mapped.at, { observed, subject: caller.subject });
      }
      const note = `No decision could be recorded, so the request is refused: ${err instanceof Error ? err.message : String(err)}`;
      this.options.log(`arbiter http: ${note}`);
      return undecidedAnswer(note);
    }
    return this.enforce(decision, input.canMask, trace, pep, input.caller);
  }

  /** An allow the door cannot honour (a mask obligation at a forward-auth check) is refused, and that is recorded. */
  private async enforce(decision: Decision, canMask: boolean, trace: TraceContext, pep: Pep, caller: Caller | undefined): Promise<CheckResult> {
    const answer = { ...answerFor(decision, trace.traceparent), decision };
    if (decision.outcome !== "allow") return answer;
    const plan = maskPlan(decision.obligations);
    if (plan.ok && (plan.plan === undefined || canMask)) return { ...answer, ...(plan.plan ? { mask: plan.plan } : {}) };
    const why = plan.ok ? "the decision requires masking the response, which a forward-auth proxy cannot do; send this route through Arbiter's reverse proxy" : plan.problem;
    // The refusal waits for its record: it is rare, and the answer is a refusal either way.
    await this.reports.submit(decision.decision_id, { status: "blocked", pep, upstream: { error: why } }, caller);
    const refused = answerFor({ ...decision, outcome: "deny", reason_code: "DECISION_ERROR", note: `Allowed under an obligation this enforcement point cannot honour (${why}), so the request is refused.` }, trace.traceparent);
    return { ...refused, status: 403, decision };
  }

  private async refuse(request: RefusalRequest, trace: TraceContext, caller: Caller | null | undefined): Promise<CheckResult> {
    try {
      const decision = await this.options.point.refuse(request, caller);
      return { ...answerFor(decision, trace.traceparent), decision };
    } catch (err) {
      const note = `${request.note} The refusal could not be recorded: ${err instanceof Error ? err.message : String(err)}`;
      this.options.log(`arbiter http: ${note}`);
      return undecidedAnswer(note);
    }
  }

  /**
   * Without a PEP credential nothing the request says is believed. Each refusal is recorded, up to a
   * budget per second so that a flood cannot fill the ledger; the next recorded one counts the rest.
   */
  private async unauthenticated(input: CheckInput, at: Pick<RefusalRequest, "action" | "resource">, trace: TraceContext): Promise<CheckResult> {
    const second = Math.floor(this.now().getTime() / 1000);
    if (this.budget.second !== second) this.budget = { second, used: 0, suppressed: this.budget.suppressed };
    const note = `The check came without a valid enforcement-point credential (${input.pepProblem ?? "no x-arbiter-pep-credential header"}), so nothing it forwarded was trusted.`;
    if (this.budget.used >= (this.options.unauthenticatedPerSecond ?? DEFAULT_UNAUTHENTICATED_PER_SECOND)) {
      this.budget.suppressed++;
      const plain = undecidedAnswer(note);
      return { status: 403, headers: { ...plain.headers, "x-arbiter-reason": "PEP_UNAUTHENTICATED" }, body: { ...plain.body, status: 403, reason_code: "PEP_UNAUTHENTICATED", outcome: "deny" } };
    }
    this.budget.used++;
    const suppressed = this.budget.suppressed;
    this.budget.suppressed = 0;
    const more = suppressed > 0 ? ` ${suppressed} more such checks before this one were refused without a record of their own (more than the per-second budget).` : "";
    return this.refuse({ ...at, pep: UNAUTHENTICATED_PEP, reason_code: "PEP_UNAUTHENTICATED", note: `${note}${more}`, correlation: trace.correlation }, trace, null);
  }
}

function first(headers: HeaderView, name: string): string | undefined {
  const values = headers.all(name);
  return values.length === 1 ? values[0] : undefined;
}

/** The path part of a target for a record: never the query, which may carry secrets; bounded. */
function pathOnly(target: string | undefined): string {
  if (!target) return "(none)";
  const path = target.split("?")[0] ?? "";
  const safe = path.replace(/[^\x21-\x7e]/g, "?").slice(0, 512);
  return safe === "" ? "(none)" : safe;
}
