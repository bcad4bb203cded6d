// OpenID AuthZEN 1.0 over HTTPS (§11.1): access evaluation, access evaluations, and the PDP's metadata (§9),
// decided by the same engine and recorded like POST /v1/decisions. Only `pep` identities may ask.
import type { FastifyRequest } from "fastify";
import { decisionRequestSchema, type Decision } from "../../decide/index.js";
import { answerOf, decisionRequestOf, errorAnswer, evaluationSchema, evaluationsSchema, expandEvaluations, stopsAfter, type Evaluation, type EvaluationAnswer } from "../../enforce/http/index.js";
import { isArbiterError, type Caller, type Correlation } from "../../record/index.js";
import { callerOf, operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

export const AUTHZEN_PATHS = {
  evaluation: "/access/v1/evaluation",
  evaluations: "/access/v1/evaluations",
  metadata: "/.well-known/authzen-configuration",
} as const;

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;
const TRACEPARENT = /^00-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-[0-9a-f]{2}$/;
/** An evaluation the engine cannot decide as asked: §7.2.1's per-item error with the HTTP status it would have had. */
const UNDECIDABLE: Record<string, number> = { REQUEST_INVALID: 400, UNKNOWN_ACTION: 400, UNKNOWN_RESOURCE_TYPE: 400, NO_ACTIVE_POLICY: 503 };

function correlationOf(request: FastifyRequest): Correlation | undefined {
  const id = request.headers["x-request-id"];
  const trace = typeof request.headers.traceparent === "string" ? TRACEPARENT.exec(request.headers.traceparent) : null;
  const correlation = { ...(typeof id === "string" && REQUEST_ID.test(id) ? { request_id: id } : {}), ...(trace ? { trace_id: trace[1] as string, span_id: trace[2] as string } : {}) };
  return Object.keys(correlation).length > 0 ? correlation : undefined;
}

export function authzenRoutes({ app, runtime, metrics }: ServerContext): void {
  const { engine, identities, decisions } = runtime;

  /** One evaluation decided and recorded; an evaluation the engine refuses as asked is its own error answer, and that refusal is recorded too. */
  async function evaluate(request: FastifyRequest, evaluation: Evaluation, caller: Caller): Promise<EvaluationAnswer> {
    const pep = { id: operatorOf(request).id, kind: "api" as const };
    const correlation = correlationOf(request);
    const asked = { ...decisionRequestOf(evaluation), pep, ...(correlation ? { correlation } : {}) };
    const refuse = async (reason: "DECISION_ERROR" | "UNKNOWN_PRINCIPAL", code: string, message: string, status: number): Promise<EvaluationAnswer> => {
      const refused = await engine.refuse(
        { label: evaluation.subject.id, action: asked.action, resource: { type: asked.resource.type, id: asked.resource.id }, reason_code: reason, note: `No decision could be made as asked (${code}): ${message}`.slice(0, 2048), pep, ...(correlation ? { correlation } : {}), observed: asked.observed },
        caller,
      );
      metrics.decisions.inc({ outcome: refused.outcome, reason_code: refused.reason_code });
      return { decision: false, context: { id: refused.decision_id, reason_code: reason, error: { status, message } } };
    };
    const parsed = decisionRequestSchema.safeParse(asked);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return refuse("DECISION_ERROR", "REQUEST_INVALID", `${issue ? `${issue.path.join(".")}: ${issue.message}` : "the evaluation is invalid"}`, 400);
    }
    let decision: Decision;
    try {
      decision = await engine.decide(parsed.data, caller);
    } catch (err) {
      if (isArbiterError(err) && err.code === "IDENTITY_NOT_FOUND") return refuse("UNKNOWN_PRINCIPAL", err.code, err.message, 404);
      if (!isArbiterError(err) || UNDECIDABLE[err.code] === undefined) throw err;
      return refuse("DECISION_ERROR", err.code, err.message, UNDECIDABLE[err.code] as number);
    }
    metrics.decisions.inc({ outcome: decision.outcome, reason_code: decision.reason_code });
    const answer = answerOf(decision);
    // An allow this PEP cannot honour is refused above; the record says it was not carried out.
    if (decision.outcome === "allow" && !answer.decision) await decisions.report(decision.decision_id, { status: "blocked", pep, upstream: { error: "allowed under a mask obligation, which an AuthZEN enforcement point cannot be told about" } }, caller, { deferred: true });
    return answer;
  }

  const echo = (request: FastifyRequest): Record<string, string> => {
    const id = request.headers["x-request-id"];
    return typeof id === "string" && REQUEST_ID.test(id) ? { "x-request-id": id } : {};
  };

  app.post(AUTHZEN_PATHS.evaluation, {
    schema: { body: evaluationSchema, tags: ["authzen"], summary: "AuthZEN 1.0 Access Evaluation (§6): one decision, durable before the answer" },
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => reply.headers(echo(request)).send(await evaluate(request, request.body, callerOf(request))),
  });

  app.post(AUTHZEN_PATHS.evaluations, {
    schema: { body: evaluationsSchema, tags: ["authzen"], summary: "AuthZEN 1.0 Access Evaluations (§7): several decisions, with defaults and evaluation semantics" },
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => {
      const body = request.body;
      const caller = callerOf(request);
      const { single, items } = expandEvaluations(body);
      const run = (item: (typeof items)[number]): Promise<EvaluationAnswer> => (item.ok ? evaluate(request, item.evaluation, caller) : Promise.resolve(errorAnswer(400, item.problem)));
      reply.headers(echo(request));
      if (single) return reply.send(await run(items[0] as (typeof items)[number]));
      const semantic = body.options?.evaluations_semantic ?? "execute_all";
      // execute_all decides side by side (one group commit); the short-circuiting semantics go in order and stop.
      if (semantic === "execute_all") return reply.send({ evaluations: await Promise.all(items.map(run)) });
      const answers: EvaluationAnswer[] = [];
      for (const item of items) {
        const answer = await run(item);
        answers.push(answer);
        if (stopsAfter(semantic, answer)) break;
      }
      return reply.send({ evaluations: answers });
    },
  });

  app.get(AUTHZEN_PATHS.metadata, {
    schema: { tags: ["authzen"], summary: "AuthZEN 1.0 Policy Decision Point metadata (§9)" },
    handler: (request) => {
      // §9.2.3: the identifier is the URL the metadata was fetched under, without the well-known suffix.
      const base = `${request.protocol}://${request.host}`;
      return {
        policy_decision_point: base,
        access_evaluation_endpoint: `${base}${AUTHZEN_PATHS.evaluation}`,
        access_evaluations_endpoint: `${base}${AUTHZEN_PATHS.evaluations}`,
      };
    },
  });
}
