// Decision API: decide, report enforcement, list and explain.
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { asserterOf, decisionRequestSchema, refusalRequestSchema, type Decision, type DecisionFilter } from "../../decide/index.js";
import { isArbiterError, pepSchema } from "../../record/index.js";
import { callerOf, operatorOf, requireRole } from "../auth.js";
import { problem, sendProblem, type Problem } from "../problem.js";
import type { ServerContext } from "../context.js";

const enforcementSchema = z.strictObject({
  status: z.enum(["executed", "blocked", "failed", "held"]),
  pep: pepSchema,
  upstream: z.strictObject({ status: z.number().int().optional(), error: z.string().min(1).max(4096).optional() }).optional(),
  masked: z.strictObject({ fields: z.array(z.string().min(1).max(512)).max(256), detectors: z.record(z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), z.number().int().min(0)) }).optional(),
  duration_ms: z.number().min(0).optional(),
  correlation: z.record(z.string(), z.string().max(256)).optional(),
});

const idParams = z.strictObject({ id: z.string().min(1).max(160) });

const filterQuery = {
  subject: z.string().max(128).optional(),
  subject_type: z.string().max(64).optional(),
  owner: z.string().max(128).optional(),
  action: z.string().max(256).optional(),
  resource: z.string().max(1024).optional(),
  outcome: z.enum(["allow", "deny", "challenge", "error"]).optional(),
  reason: z.string().max(64).optional(),
  control: z.string().max(32).optional(),
  policy: z.string().max(256).optional(),
  policy_version: z.string().max(128).optional(),
  trace: z.string().max(64).optional(),
  task: z.string().max(256).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};
const listQuery = z.strictObject({
  ...filterQuery,
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const statsQuery = z.strictObject({ ...filterQuery, bucket: z.enum(["day", "hour", "minute"]).default("hour") });

type Filters = z.infer<z.ZodObject<typeof filterQuery>>;

/** The decision log's filter from the query string's names. */
function decisionFilter(q: Filters): DecisionFilter {
  return {
    ...(q.subject ? { subject: q.subject } : {}),
    ...(q.subject_type ? { subjectType: q.subject_type } : {}),
    ...(q.owner ? { owner: q.owner } : {}),
    ...(q.action ? { action: q.action } : {}),
    ...(q.resource ? { resource: q.resource } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.reason ? { reason: q.reason } : {}),
    ...(q.control ? { control: q.control } : {}),
    ...(q.policy ? { policy: q.policy } : {}),
    ...(q.policy_version ? { policyVersion: q.policy_version } : {}),
    ...(q.trace ? { trace: q.trace } : {}),
    ...(q.task ? { task: q.task } : {}),
    ...(q.from ? { from: iso(q.from) } : {}),
    ...(q.to ? { to: iso(q.to) } : {}),
  };
}

/**
 * A PEP that asserted outside its scope is refused as a caller (403), not answered as if policy had
 * decided; the refusal is the recorded decision, named in the problem so it can be looked up.
 */
export function outOfScope(decision: Decision): Problem | undefined {
  if (decision.reason_code !== "ASSERTION_OUT_OF_SCOPE") return undefined;
  return problem("FORBIDDEN", decision.note, { reason_code: decision.reason_code, outcome: decision.outcome, decision_id: decision.decision_id, ledger: decision.ledger });
}

const iso = (value: string | undefined): string | undefined => (value === undefined ? undefined : new Date(value).toISOString());

/** Body members by which a caller might try to set the decision's time (see `arbiter decide --at`). */
const TIME_MEMBERS = ["at", "now", "time", "what_if", "evaluate_at"];

/**
 * A PEP that could choose the time would step around every time rule (a weekend deploy decided "on
 * a Tuesday"): refused with its own code before schema validation, so the caller learns why.
 */
async function refuseChosenTime(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const named = TIME_MEMBERS.find((member) => Object.hasOwn(body, member));
  if (named === undefined) return;
  await sendProblem(reply, problem("WHAT_IF_REFUSED", `"${named}": a decision is made at the time it is asked; an enforcement point cannot choose another (a what-if at another time is \`arbiter decide --at TIME\`, never recorded as a decision)`));
}

export function decisionRoutes({ app, runtime, metrics }: ServerContext): void {
  const { engine, decisions, identities } = runtime;

  app.post("/v1/decisions", {
    schema: { body: decisionRequestSchema, tags: ["decisions"], summary: "Decide a request; answers only once the decision record is durable" },
    preValidation: refuseChosenTime,
    // Only enforcement points decide: an admin key must not produce evidence of calls nobody enforced.
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => {
      const started = process.hrtime.bigint();
      try {
        const decision = await engine.decide(request.body, callerOf(request), asserterOf(operatorOf(request)));
        metrics.decisions.inc({ outcome: decision.outcome, reason_code: decision.reason_code });
        metrics.decisionSeconds.observe({ outcome: decision.outcome }, Number(process.hrtime.bigint() - started) / 1e9);
        const refused = outOfScope(decision);
        return await (refused ? sendProblem(reply, refused) : reply.send(decision));
      } catch (err) {
        if (isArbiterError(err) && err.code === "LEDGER_UNAVAILABLE") {
          // Fail closed: no durable record, no decision. The PEP must treat this as a deny.
          metrics.decisions.inc({ outcome: "error", reason_code: "DECISION_ERROR" });
          request.log.error({ code: err.code }, "decision not recorded; failing closed");
          return sendProblem(reply, problem("LEDGER_UNAVAILABLE", `the decision could not be recorded, so it was not made: ${err.message}`, { outcome: "error", reason_code: "DECISION_ERROR" }));
        }
        throw err;
      }
    },
  });

  app.post("/v1/refusals", {
    schema: { body: refusalRequestSchema, tags: ["decisions"], summary: "Record a refusal the enforcement point made before policy could be asked (no route, malformed request, no credential)" },
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => {
      const decision = await engine.refuse(request.body, callerOf(request), asserterOf(operatorOf(request)));
      metrics.decisions.inc({ outcome: decision.outcome, reason_code: decision.reason_code });
      const refused = outOfScope(decision);
      return refused ? sendProblem(reply, refused) : reply.status(201).send(decision);
    },
  });

  app.post("/v1/decisions/:id/enforcement", {
    schema: { params: idParams, body: enforcementSchema, tags: ["decisions"], summary: "Report what the enforcement point did with a decision" },
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => {
      const logged = await decisions.report(request.params.id, request.body, callerOf(request));
      return reply.status(201).send({ index: logged.index, id: logged.id, decision_id: request.params.id });
    },
  });

  app.get("/v1/decisions", {
    schema: { querystring: listQuery, tags: ["decisions"], summary: "Decisions, newest first, filtered" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const q = request.query;
      const found = decisions.list({ ...decisionFilter(q), ...(q.before !== undefined ? { before: q.before } : {}), limit: q.limit });
      const last = found.at(-1);
      return { decisions: found.map((d) => ({ index: d.index, ...d.record })), next_before: found.length === q.limit && last ? last.index : null };
    },
  });

  app.get("/v1/decisions/stats", {
    schema: { querystring: statsQuery, tags: ["decisions"], summary: "Decisions counted per time bucket (UTC day, hour or minute), outcome and control, with the list's filters" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const { bucket, ...filters } = request.query;
      return { bucket, counts: decisions.counts(decisionFilter(filters), bucket) };
    },
  });

  app.get("/v1/decisions/:id", {
    schema: { params: idParams, tags: ["decisions"], summary: "One decision with its explanation, related records and inclusion proof" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const explained = decisions.explain(request.params.id);
      return {
        index: explained.index,
        decision: explained.record,
        explanation: explained.explanation,
        ...(explained.approval ? { approval: explained.approval } : {}),
        ...(explained.grant ? { grant: explained.grant } : {}),
        related: explained.related.map((r) => ({ index: r.index, ...r.record })),
        inclusion_proof: explained.proof,
      };
    },
  });
}
