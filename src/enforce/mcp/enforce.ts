// One operation that acts, enforced: decide, hold for approval or ask the user, forward, mask, report. Nothing undecided is forwarded.
import type { RequestHandlerExtra, RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { type Progress, type Result, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import { USER_CONFIRMATION_ACR, isUndecidableRequest, type Decision, type DecisionRequest, type EnforcementReport } from "../../decide/index.js";
import type { JsonObject } from "../../record/index.js";
import type { DecisionPoint } from "../decision-point/index.js";
import { MaskTally, isEmpty, maskJson, maskPlan, type MaskSpec } from "../masking/index.js";
import { GatewayError, refusalOf, undecided, upstreamFailure, type Refusal } from "./answers.js";
import { confirmWithUser } from "./confirm.js";
import { holdForApproval } from "./hold.js";
import type { Caller } from "./mapping.js";
import type { ReportQueue } from "./reports.js";
import type { Upstream } from "./upstream.js";

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface Limits {
  /** How long a call is held open for an approver (then APPROVAL_EXPIRED). */
  approvalTimeoutMs: number;
  /** How long the upstream may take to answer one call. */
  callTimeoutMs: number;
  approvalPollMs: number;
  progressMs: number;
}

export interface GatewayContext {
  point: DecisionPoint;
  reports: ReportQueue;
  upstream: Upstream;
  caller: Caller;
  limits: Limits;
  /** Whether the agent's client declared the elicitation capability (form mode). */
  canElicit(): boolean;
}

export interface Operation {
  /** What the agent asks to do, for messages: "call tool echo". */
  what: string;
  request: DecisionRequest;
  /** The arguments to send upstream; masked first when an obligation addresses them. */
  args: JsonObject | undefined;
  forward(args: JsonObject | undefined, options: RequestOptions): Promise<Result>;
  /** The upstream's answer as this operation's result; throws on a malformed one. */
  parse(result: Result): Result;
  mask(result: Result, spec: MaskSpec, tally: MaskTally): Result;
  /** The refusal as MCP carries it: an isError tool result, or a JSON-RPC error (thrown). */
  refuse(refusal: Refusal): Result;
}

/** Queues the enforcement record of one decision of this call. */
type Report = (decision: Decision, status: EnforcementReport["status"], more?: Omit<EnforcementReport, "status" | "pep">) => void;

/** Decisions made for one call at most: the first, one after each approval or confirmation, and slack for a grant raced away. */
const MAX_DECISIONS = 6;

function progressOf(extra: Extra): ((p: Progress) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  // A lost progress notification is harmless; it must not fail the call.
  return (p) => void extra.sendNotification({ method: "notifications/progress", params: { ...p, progressToken: token } }).catch(() => undefined);
}

/**
 * A request the engine could not decide (an undeclared tool, arguments it will not take) is still
 * recorded, as the HTTP door records it, so the agent's answer carries a decision id an auditor can
 * find. If Arbiter itself failed, there is nothing to record with: the refusal stands alone.
 */
async function recordUndecided(ctx: GatewayContext, op: Operation, err: unknown): Promise<Refusal> {
  const refusal = undecided(err);
  if (!isUndecidableRequest(err)) return refusal;
  const { subject, action, resource, correlation } = op.request;
  try {
    const decision = await ctx.point.refuse({
      subject,
      action,
      resource,
      reason_code: "DECISION_ERROR",
      note: `No decision could be made for this call (${err.code}): ${err.message}`.slice(0, 2048),
      pep: ctx.caller.pep,
      ...(correlation ? { correlation } : {}),
    });
    return { ...refusal, decision_id: decision.decision_id };
  } catch {
    return refusal;
  }
}

export async function enforce(ctx: GatewayContext, op: Operation, extra: Extra): Promise<Result> {
  const started = performance.now();
  const { caller, limits } = ctx;
  const report: Report = (decision, status, more = {}) =>
    ctx.reports.submit(decision.decision_id, { status, pep: caller.pep, duration_ms: Math.round((performance.now() - started) * 1000) / 1000, ...more });
  const decideAgain = async (previous: Decision, extraFields: Partial<DecisionRequest> = {}): Promise<Decision | Refusal> => {
    try {
      return await ctx.point.decide({ ...op.request, ...extraFields });
    } catch (err) {
      const refusal = undecided(err);
      report(previous, "blocked", { upstream: { error: refusal.note } });
      return refusal;
    }
  };

  let decision: Decision;
  try {
    decision = await ctx.point.decide(op.request);
  } catch (err) {
    return op.refuse(await recordUndecided(ctx, op, err));
  }
  const deadline = Date.now() + limits.approvalTimeoutMs;
  let confirmed = false;
  for (let round = 1; ; round++) {
    if (decision.outcome === "allow") return forward(ctx, op, extra, decision, report);
    const pending = decision.approval_request?.state === "pending" ? decision.approval_request : undefined;
    if (decision.outcome === "challenge" && pending && round < MAX_DECISIONS) {
      report(decision, "held");
      const progress = progressOf(extra);
      const held = await holdForApproval({
        point: ctx.point,
        requestId: pending.id,
        deadline,
        pollMs: limits.approvalPollMs,
        progressMs: limits.progressMs,
        signal: extra.signal,
        ...(progress ? { progress: (elapsed: number, message: string) => progress({ progress: elapsed, message }) } : {}),
      });
      if (held.kind === "decided") {
        const next = await decideAgain(decision);
        if (!("outcome" in next)) return op.refuse(next);
        decision = next;
        continue;
      }
      const why = held.kind === "cancelled" ? "the client cancelled the call while it waited for approval" : held.kind === "expired" ? "the approval request expired" : `no approver decided within ${Math.round(limits.approvalTimeoutMs / 1000)} s`;
      report(decision, "blocked", { upstream: { error: why } });
      return op.refuse({
        reason_code: "APPROVAL_EXPIRED",
        note: `The call was held for approval request ${pending.id} and ${why}, so it was not made.`,
        decision_id: decision.decision_id,
        // Only a request that is still open can be approved later and its grant used by a retry.
        ...(held.kind === "timeout" ? { approval_request: pending } : {}),
      });
    }
    if (decision.outcome === "challenge" && decision.reason_code === "STEP_UP_REQUIRED" && decision.step_up?.acr === USER_CONFIRMATION_ACR && !confirmed && ctx.canElicit()) {
      confirmed = true;
      report(decision, "held");
      const answer = await confirmWithUser(extra, { what: op.what, server: caller.server, note: decision.note, timeoutMs: limits.approvalTimeoutMs });
      if (answer.confirmed) {
        const next = await decideAgain(decision, { confirmation: { method: "elicitation", confirmed_at: answer.at } });
        if (!("outcome" in next)) return op.refuse(next);
        decision = next;
        continue;
      }
      report(decision, "blocked", { upstream: { error: answer.why } });
      return op.refuse({ ...refusalOf(decision), note: `${decision.note} Confirmation was asked at the client: ${answer.why}.` });
    }
    report(decision, "blocked");
    return op.refuse(refusalOf(decision));
  }
}

async function forward(ctx: GatewayContext, op: Operation, extra: Extra, decision: Decision, report: Report): Promise<Result> {
  const plan = maskPlan(decision.obligations);
  if (!plan.ok) {
    report(decision, "blocked", { upstream: { error: plan.problem } });
    return op.refuse({ reason_code: "DECISION_ERROR", note: `The decision allowed this call under an obligation this gateway cannot honour (${plan.problem}), so it was not made.`, decision_id: decision.decision_id });
  }
  const tally = new MaskTally();
  let args = op.args;
  if (args && plan.plan && !isEmpty(plan.plan.arguments)) args = maskJson(structuredClone(args), plan.plan.arguments, tally, "$.arguments") as JsonObject;
  const progress = progressOf(extra);
  let result: Result;
  try {
    const answer = await op.forward(args, {
      signal: extra.signal,
      timeout: ctx.limits.callTimeoutMs,
      resetTimeoutOnProgress: true,
      ...(progress ? { onprogress: progress } : {}),
    });
    result = op.parse(answer);
  } catch (err) {
    const failure = upstreamFailure(err, ctx.caller.server, ctx.limits.callTimeoutMs, extra.signal.aborted);
    const masked = tally.summary();
    report(decision, "failed", { upstream: { status: failure.code, error: failure.message.slice(0, 4096) }, ...(masked ? { masked } : {}) });
    throw new GatewayError(failure.code, `${failure.message} (decision ${decision.decision_id})`, { decision_id: decision.decision_id });
  }
  if (plan.plan && !isEmpty(plan.plan.payload)) result = op.mask(result, plan.plan.payload, tally);
  const masked = tally.summary();
  report(decision, "executed", masked ? { masked } : {});
  return result;
}
