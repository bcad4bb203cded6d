// Break-glass API: open a justified, time-bound override; list sessions awaiting review; end and review them.
import { z } from "zod";
import { asserterOf, MAX_BREAK_GLASS_SECONDS, sessionView, subjectRefSchema } from "../../decide/index.js";
import { ArbiterError, correlationSchema } from "../../record/index.js";
import { callerOf, operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const startBody = z.strictObject({
  subject: subjectRefSchema,
  justification: z.string().min(10).max(2000),
  duration_seconds: z.number().int().min(60).max(MAX_BREAK_GLASS_SECONDS).default(3600),
  correlation: correlationSchema.optional(),
});
const idParams = z.strictObject({ id: z.string().min(1).max(160) });
const listQuery = z.strictObject({
  unreviewed: z.enum(["true", "false"]).optional(),
  identity: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
const reviewBody = z.strictObject({ note: z.string().min(3).max(4000) });
const endBody = z.strictObject({ note: z.string().min(1).max(2000).optional() });


export function breakGlassRoutes({ app, runtime }: ServerContext): void {
  const { breakGlassFlow, breakGlass, identities } = runtime;

  app.post("/v1/breakglass", {
    schema: { body: startBody, tags: ["break-glass"], summary: "Open a break-glass session if policy allows the identity to break glass" },
    onRequest: requireRole(identities, "pep"),
    handler: async (request, reply) => {
      const { subject, justification, duration_seconds, correlation } = request.body;
      const result = await breakGlassFlow.start({ subject, justification, durationSeconds: duration_seconds, ...(correlation ? { correlation } : {}) }, callerOf(request), asserterOf(operatorOf(request)));
      const body = {
        decision_id: result.decisionId,
        outcome: result.outcome,
        reason_code: result.reason,
        note: result.note,
        session: result.session ? sessionView(result.session, runtime.now()) : null,
        ledger: { index: result.index },
      };
      return reply.status(result.session ? 201 : result.reason === "BREAK_GLASS_OPEN" ? 409 : 403).send(body);
    },
  });

  app.get("/v1/breakglass", {
    schema: { querystring: listQuery, tags: ["break-glass"], summary: "Break-glass sessions (unreviewed=true: the review queue)" },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: (request) => {
      const { unreviewed, identity, limit } = request.query;
      return { sessions: breakGlass.list({ unreviewed: unreviewed === "true", ...(identity ? { identityId: identity } : {}), limit }).map((s) => sessionView(s, runtime.now())) };
    },
  });

  app.post("/v1/breakglass/:id/end", {
    schema: { params: idParams, body: endBody, tags: ["break-glass"] },
    onRequest: requireRole(identities, "pep", "admin"),
    handler: async (request) => {
      if (!breakGlass.get(request.params.id)) throw new ArbiterError("NOT_FOUND", `break-glass session ${request.params.id} does not exist`);
      return sessionView(await breakGlassFlow.end(request.params.id, callerOf(request), request.body.note ?? "ended"), runtime.now());
    },
  });

  app.post("/v1/breakglass/:id/review", {
    schema: { params: idParams, body: reviewBody, tags: ["break-glass"] },
    onRequest: requireRole(identities, "auditor", "admin"),
    handler: async (request) => {
      return sessionView(await breakGlassFlow.review(request.params.id, callerOf(request), request.body.note), runtime.now());
    },
  });
}
