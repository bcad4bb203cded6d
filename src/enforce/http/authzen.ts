// OpenID AuthZEN Authorization API 1.0: its evaluation requests read onto Arbiter's decision requests, and
// decisions written back as AuthZEN answers. Sections cited are the specification's (openid.net/specs/authorization-api-1_0.html).
import { z } from "zod";
import type { Decision, DecisionRequest } from "../../decide/index.js";
import type { JsonObject } from "../../record/index.js";

const name = z.string().min(1).max(256);
const properties = z.record(z.string(), z.unknown()).optional();

/** §5.1–5.4: subject, resource, action, context. Members the spec does not name are ignored, as §9 asks of metadata. */
export const authzenSubjectSchema = z.object({ type: name, id: z.string().min(1).max(128), properties });
export const authzenResourceSchema = z.object({ type: name, id: z.string().min(1).max(1024), properties });
export const authzenActionSchema = z.object({ name, properties });
const context = z.record(z.string(), z.unknown());

/** §6.1 */
export const evaluationSchema = z.object({ subject: authzenSubjectSchema, action: authzenActionSchema, resource: authzenResourceSchema, context: context.optional() });

/** Most evaluations in one batch: each is a durable decision. */
export const MAX_EVALUATIONS = 100;

export const EVALUATIONS_SEMANTICS = ["execute_all", "deny_on_first_deny", "permit_on_first_permit"] as const;
export type EvaluationsSemantic = (typeof EVALUATIONS_SEMANTICS)[number];

/** §7.1: every member optional at the top (defaults) and in each item. */
export const evaluationsSchema = z.object({
  subject: authzenSubjectSchema.optional(),
  action: authzenActionSchema.optional(),
  resource: authzenResourceSchema.optional(),
  context: context.optional(),
  evaluations: z.array(z.object({ subject: authzenSubjectSchema.optional(), action: authzenActionSchema.optional(), resource: authzenResourceSchema.optional(), context: context.optional() })).max(MAX_EVALUATIONS).optional(),
  options: z.object({ evaluations_semantic: z.enum(EVALUATIONS_SEMANTICS).optional() }).optional(),
});

export type Evaluation = z.infer<typeof evaluationSchema>;
export type Evaluations = z.infer<typeof evaluationsSchema>;

/** §5.5: the decision and, in its context, why (Arbiter's decision id, reason code and note). */
export interface EvaluationAnswer {
  decision: boolean;
  context?: JsonObject;
}

/**
 * §7.1.1: a top-level member is the default for the items; an item's own member replaces it whole.
 * Without `evaluations` (or with an empty list) the request is one evaluation (§7.1). An item still
 * missing subject, action or resource after the defaults is answered on its own, not refused whole.
 */
export function expandEvaluations(body: Evaluations): { single: boolean; items: ({ ok: true; evaluation: Evaluation } | { ok: false; problem: string })[] } {
  const items = body.evaluations && body.evaluations.length > 0 ? body.evaluations : [{}];
  return {
    single: !body.evaluations || body.evaluations.length === 0,
    items: items.map((item) => {
      const merged = {
        subject: item.subject ?? body.subject,
        action: item.action ?? body.action,
        resource: item.resource ?? body.resource,
        context: item.context ?? body.context,
      };
      const missing = (["subject", "action", "resource"] as const).filter((k) => merged[k] === undefined);
      if (missing.length > 0) return { ok: false, problem: `the evaluation has no ${missing.join(", ")} (neither its own nor a default)` };
      return { ok: true, evaluation: merged as Evaluation };
    }),
  };
}

const text = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/**
 * An evaluation as Arbiter decides it. The subject id names an Arbiter identity that the PEP
 * authenticated (as `subject.id` in POST /v1/decisions); `properties.acr` and
 * `properties.authenticated_at` say how and when. Resource properties are the resource's
 * attributes; action properties are the call's arguments (`context.args` in policy).
 */
export function decisionRequestOf(evaluation: Evaluation): Omit<DecisionRequest, "pep" | "correlation"> {
  const props = evaluation.subject.properties ?? {};
  const acr = text(props.acr);
  const at = text(props.authenticated_at);
  return {
    subject: { id: evaluation.subject.id, ...(acr ? { acr } : {}), ...(at ? { authenticated_at: at } : {}) },
    action: evaluation.action.name,
    resource: { type: evaluation.resource.type, id: evaluation.resource.id, ...(evaluation.resource.properties ? { attributes: evaluation.resource.properties as JsonObject } : {}) },
    ...(evaluation.context ? { context: evaluation.context as JsonObject } : {}),
    ...(evaluation.action.properties ? { args: evaluation.action.properties as JsonObject } : {}),
    observed: { authzen: { subject_type: evaluation.subject.type } },
  };
}

/**
 * The answer to one evaluation. An allow that carries a mask obligation is answered `false`:
 * AuthZEN 1.0 has no obligations, so a PEP cannot be relied on to apply one. Rate and grant-use
 * obligations only inform, and are passed along in the context.
 */
export function answerOf(decision: Decision): EvaluationAnswer {
  const mustApply = decision.obligations.some((o) => o.type === "mask");
  const obligations = decision.obligations.length > 0;
  const context: JsonObject = {
    id: decision.decision_id,
    reason_code: decision.reason_code,
    outcome: decision.outcome,
    reason_admin: { en: decision.note },
    ...(decision.approval_request ? { approval_request: decision.approval_request.id } : {}),
    ...(decision.retry_after !== undefined ? { retry_after: decision.retry_after } : {}),
    ...(decision.step_up ? { step_up: decision.step_up } : {}),
    ...(obligations ? { obligations: decision.obligations } : {}),
  };
  return { decision: decision.outcome === "allow" && !mustApply, context };
}

/** §7.1.2.1: whether the batch stops after this answer. */
export function stopsAfter(semantic: EvaluationsSemantic, answer: EvaluationAnswer): boolean {
  if (semantic === "deny_on_first_deny") return !answer.decision;
  if (semantic === "permit_on_first_permit") return answer.decision;
  return false;
}

/** §7.2.1: an error in one evaluation is that evaluation's `false`, with the error in its context. */
export function errorAnswer(status: number, message: string): EvaluationAnswer {
  return { decision: false, context: { error: { status, message } } };
}
