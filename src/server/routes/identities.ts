// Identity API: identities and their owners, lifecycle, API keys, tokens (RFC 8693 exchange) and the JWKS.
import { z } from "zod";
import type { FastifyRequest } from "fastify";
import { entitlementsOf, MAX_ENTITLEMENTS_PAGE, USAGE_WINDOW_DAYS } from "../../decide/index.js";
import { bearerCredential, createIdentitySchema, identityIdSchema, listFilterSchema, taskIdSchema, updateIdentitySchema, type Actor, type Identity } from "../../identity/index.js";
import { ArbiterError } from "../../record/index.js";
import { callerOf, operatorOf, requireRole } from "../auth.js";
import type { ServerContext } from "../context.js";

const idParams = z.strictObject({ id: identityIdSchema });
const entitlementsQuery = z.strictObject({ after: z.string().min(1).max(256).optional(), limit: z.coerce.number().int().min(1).max(MAX_ENTITLEMENTS_PAGE).default(100) });
const credentialParams = z.strictObject({ id: z.string().min(1).max(160) });
const reasonBody = z.strictObject({ reason: z.string().min(1).max(1000).optional() }).default({});
const rotateBody = z.strictObject({ grace_seconds: z.number().int().min(0).optional(), reason: z.string().min(1).max(1000).optional() }).default({});
const tokenBody = z.strictObject({
  identity: identityIdSchema,
  ttl_seconds: z.number().int().min(1).optional(),
  act_for: z.array(identityIdSchema).max(5).optional(),
  intent: z.string().min(1).max(1024).optional(),
  task: taskIdSchema.optional(),
  acr: z.string().min(1).max(128).optional(),
  scope: z.array(z.string().min(1).max(128)).max(32).optional(),
});
/** RFC 8693 §2.1 token exchange, as JSON: the bearer credential of the request is the actor's. */
const exchangeBody = z.strictObject({
  subject_token: z.string().min(1).max(8192),
  ttl_seconds: z.number().int().min(1).optional(),
  intent: z.string().min(1).max(1024).optional(),
  task: taskIdSchema.optional(),
  scope: z.array(z.string().min(1).max(128)).max(32).optional(),
});

/** The operator as the actor of a change, with the credential that authenticated it. */
function actorOf(request: FastifyRequest): Actor {
  const { id, type } = operatorOf(request);
  const { credential } = callerOf(request);
  return { id, type, determined_by: "credential", ...(credential !== undefined ? { credential } : {}) };
}

function found(identity: Identity | undefined, id: string): Identity {
  if (!identity) throw new ArbiterError("NOT_FOUND", `identity ${id} does not exist`, { id });
  return identity;
}

export function identityRoutes({ app, runtime }: ServerContext): void {
  const { identities } = runtime;
  const admin = requireRole(identities, "admin");
  const reader = requireRole(identities, "admin", "auditor");

  app.post("/v1/identities", {
    schema: { body: createIdentitySchema, tags: ["identities"], summary: "Create an identity (non-human identities need an active human owner)" },
    onRequest: admin,
    handler: async (request, reply) => reply.status(201).send(await identities.create(request.body, actorOf(request))),
  });

  app.get("/v1/identities", {
    schema: { querystring: listFilterSchema, tags: ["identities"] },
    onRequest: reader,
    handler: (request) => ({ identities: identities.list(request.query) }),
  });

  app.get("/v1/identities/:id", {
    schema: { params: idParams, tags: ["identities"], summary: "An identity with its credentials (never secrets)" },
    onRequest: reader,
    handler: (request) => ({ ...found(identities.get(request.params.id), request.params.id), credentials: identities.credentials(request.params.id) }),
  });

  app.get("/v1/identities/:id/entitlements", {
    schema: {
      params: idParams,
      querystring: entitlementsQuery,
      tags: ["identities"],
      summary: `Entitlements granted (actions the active policy could allow the identity) against those used (its allowed decisions in the last ${USAGE_WINDOW_DAYS} days), unused ones flagged; paged by action`,
    },
    onRequest: reader,
    handler: (request) => entitlementsOf(runtime, request.params.id, { ...(request.query.after !== undefined ? { after: request.query.after } : {}), limit: request.query.limit }),
  });

  app.patch("/v1/identities/:id", {
    schema: { params: idParams, body: updateIdentitySchema, tags: ["identities"] },
    onRequest: admin,
    handler: async (request) => identities.update(request.params.id, request.body, actorOf(request)),
  });

  for (const transition of ["suspend", "reactivate", "revoke", "offboard"] as const) {
    app.post(`/v1/identities/:id/${transition}`, {
      schema: { params: idParams, body: reasonBody, tags: ["identities"], summary: `Lifecycle: ${transition} (takes effect at once)` },
      onRequest: admin,
      handler: async (request) => identities[transition](request.params.id, actorOf(request), request.body.reason),
    });
  }

  app.post("/v1/identities/:id/keys", {
    schema: { params: idParams, tags: ["credentials"], summary: "Issue an API key; the key is in this response only" },
    onRequest: admin,
    handler: async (request, reply) => reply.status(201).send(await identities.issueApiKey(request.params.id, actorOf(request))),
  });

  app.post("/v1/identities/:id/rotate", {
    schema: { params: idParams, body: rotateBody, tags: ["credentials"], summary: "Rotate API keys: a new key, the old ones refused (after an optional grace)" },
    onRequest: admin,
    handler: async (request) =>
      identities.rotateApiKey(request.params.id, actorOf(request), {
        ...(request.body.grace_seconds !== undefined ? { graceSeconds: request.body.grace_seconds } : {}),
        ...(request.body.reason ? { reason: request.body.reason } : {}),
      }),
  });

  app.get("/v1/identities/:id/credentials", {
    schema: { params: idParams, tags: ["credentials"] },
    onRequest: reader,
    handler: (request) => ({ credentials: identities.credentials(found(identities.get(request.params.id), request.params.id).id) }),
  });

  app.post("/v1/credentials/:id/revoke", {
    schema: { params: credentialParams, body: reasonBody, tags: ["credentials"] },
    onRequest: admin,
    handler: async (request) => identities.revokeCredential(request.params.id, actorOf(request), request.body.reason),
  });

  app.post("/v1/tokens", {
    schema: { body: tokenBody, tags: ["credentials"], summary: "Issue a short-lived token (EdDSA JWT) for an identity" },
    onRequest: admin,
    handler: async (request, reply) => {
      const { identity, ttl_seconds, act_for, intent, task, acr, scope } = request.body;
      const issued = await identities.issueToken(
        identity,
        { ...(ttl_seconds ? { ttlSeconds: ttl_seconds } : {}), ...(act_for ? { actFor: act_for } : {}), ...(intent ? { intent } : {}), ...(task ? { task } : {}), ...(acr ? { acr } : {}), ...(scope ? { scope } : {}) },
        actorOf(request),
      );
      return reply.status(201).send(issued);
    },
  });

  app.post("/v1/tokens/exchange", {
    schema: { body: exchangeBody, tags: ["credentials"], summary: "RFC 8693 token exchange: the bearer (actor) gets a token to act for the subject_token's identity" },
    handler: async (request, reply) => {
      const actor = bearerCredential(request.headers.authorization);
      if (!actor) throw new ArbiterError("UNAUTHENTICATED", "the actor authenticates with `Authorization: Bearer <its api key or token>`");
      const { subject_token, ttl_seconds, intent, task, scope } = request.body;
      const issued = await identities.exchangeToken({
        subjectToken: subject_token,
        actorCredential: actor,
        ...(ttl_seconds ? { ttlSeconds: ttl_seconds } : {}),
        ...(intent ? { intent } : {}),
        ...(task ? { task } : {}),
        ...(scope ? { scope } : {}),
      });
      return reply.status(201).send(issued);
    },
  });

  app.get("/.well-known/jwks.json", {
    schema: { tags: ["credentials"], summary: "Public keys that verify Arbiter-issued tokens" },
    handler: () => identities.jwks(),
  });
}
