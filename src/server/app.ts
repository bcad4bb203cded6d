// The Fastify application: zod-validated routes, problem+json errors, operator auth, OpenAPI and metrics.
import type { IncomingMessage, ServerResponse } from "node:http";
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import Fastify from "fastify";
import { createJsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { ArbiterError, ERROR_CODES, type ErrorCode } from "../record/index.js";
import type { Gateways } from "../runtime/index.js";
import type { ArbiterApp, ServerContext } from "./context.js";
import { consoleRoutes, type ConsoleRouteOptions } from "./console.js";
import { securityHeaders } from "./headers.js";
import { loggerOptions, type LogStream } from "./log.js";
import { createMetrics, httpEnforcementMetrics } from "./metrics.js";
import { errorHandler, problem, sendProblem } from "./problem.js";
import { approvalRoutes } from "./routes/approvals.js";
import { authzenRoutes } from "./routes/authzen.js";
import { breakGlassRoutes } from "./routes/breakglass.js";
import { decisionRoutes } from "./routes/decisions.js";
import { eventRoutes, type EventStreamOptions } from "./routes/events.js";
import { grantRoutes } from "./routes/grants.js";
import { healthRoutes } from "./routes/health.js";
import { forwardAuthRoutes } from "./routes/forward-auth.js";
import { identityRoutes } from "./routes/identities.js";
import { linkageRoutes } from "./routes/linkage.js";
import { logRoutes } from "./routes/log.js";
import { logVerifyRoutes } from "./routes/log-verify.js";
import { mcpRoutes } from "./routes/mcp.js";
import { policyRoutes } from "./routes/policies.js";
import { taskRoutes } from "./routes/tasks.js";
import { sessionRoutes } from "./routes/session.js";

export interface ServerOptions {
  /** pino log level; "silent" in tests. */
  logLevel?: string;
  /** Where log lines go (default stdout). */
  logStream?: LogStream;
  /** Largest request body; decision requests are small, and bigger contexts are refused. */
  bodyLimit?: number;
  /** Largest body of `POST /v1/linkage/runs` (events sent inline); the one API route allowed more than bodyLimit. */
  linkageBodyLimit?: number;
  /** The console's live event streams (GET /v1/events): heartbeat, connection bounds, the most a slow client may owe. */
  events?: EventStreamOptions;
  /** Time limits of a connection: see ConnectionLimits. */
  connections?: Partial<ConnectionLimits>;
  /** Browser origins allowed to call the API across origins; none (the default) leaves CORS off. */
  corsOrigins?: readonly string[];
  /** The web console at `/`: where its built files are (default the package's own build). */
  console?: ConsoleRouteOptions;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;
export const DEFAULT_LINKAGE_BODY_LIMIT = 16 * 1024 * 1024;

/**
 * How long a client may take, so that slow senders (slowloris, a body trickled a byte at a time)
 * hold a connection for a bounded time. Node.js answers 408 and closes the connection.
 */
export interface ConnectionLimits {
  /** From a request's first byte until its headers are complete. */
  headersTimeoutMs: number;
  /** From a request's first byte until its body is complete (an answer may take longer: an SSE stream, a held approval). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 72_000 };

/** Mounts the routes of the capabilities and gateways the composition root built (runtime/); it builds none itself. */
export async function buildServer(gateways: Gateways, options: ServerOptions = {}): Promise<ArbiterApp> {
  const { runtime } = gateways;
  const limits = { ...DEFAULT_CONNECTION_LIMITS, ...options.connections };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new ArbiterError("USAGE", `the headers timeout (${limits.headersTimeoutMs} ms) must not be longer than the request timeout (${limits.requestTimeoutMs} ms)`);
  const app = Fastify({
    // Fastify sets requestTimeout and keepAliveTimeout on the server; headersTimeout and how often Node.js
    // checks both are http.createServer options. Checked at a quarter of the shorter timeout, so a slow
    // client is closed within 1.25 × its timeout (Node.js checks every 30 s by default).
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    },
    logger: loggerOptions(options.logLevel ?? "info", options.logStream),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.addHook("onRequest", securityHeaders);
  // An empty body with a JSON content type (curl -X POST -H 'content-type: application/json') means "no body".
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text === "") done(null, undefined);
    else void parseJson(request, text, done);
  });
  // Node.js would answer `Expect: 100-continue` itself before any hook ran, inviting the body of a
  // request that authentication may refuse; the invitation is sent once the onRequest hooks passed.
  app.server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => app.server.emit("request", request, response));
  app.addHook("preParsing", async (request, reply, payload) => {
    if (request.headers.expect?.toLowerCase() === "100-continue" && !reply.raw.headersSent) reply.raw.writeContinue();
    return payload;
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, { ...problem("NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`), instance: request.url.split("?")[0] }));

  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    // Bearer credentials travel in a header, never in cookies: no credentialed CORS is needed.
    await app.register(fastifyCors, { origin: [...options.corsOrigins], allowedHeaders: ["authorization", "content-type"], maxAge: 600 });
  }

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: "Arbiter", version: "0.1.0", description: "Request-time decisions for non-human identities, recorded in a verifiable enforcement ledger." },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: createJsonSchemaTransform({ skipList: ["/openapi.json", "/problems/:code"] }),
  });

  const metrics = createMetrics(runtime);
  const unobserve = gateways.observe((decision, seconds) => {
    metrics.decisions.inc({ outcome: decision.outcome, reason_code: decision.reason_code });
    metrics.decisionSeconds.observe({ outcome: decision.outcome }, seconds);
  });
  app.addHook("onClose", (_instance, done) => {
    unobserve();
    done();
  });
  gateways.logTo({ warn: (line) => app.log.warn(line), error: (fields, line) => app.log.error(fields, line), upstream: (name, line) => app.log.info({ upstream: name }, line) });
  app.addHook("onResponse", (request, reply, done) => {
    metrics.httpRequests.inc({ method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) });
    done();
  });

  const context: ServerContext = { app, runtime, gateways, metrics };
  decisionRoutes(context);
  approvalRoutes(context);
  grantRoutes(context);
  breakGlassRoutes(context);
  identityRoutes(context);
  taskRoutes(context);
  policyRoutes(context);
  linkageRoutes(context, { bodyLimit: options.linkageBodyLimit ?? DEFAULT_LINKAGE_BODY_LIMIT });
  logRoutes(context);
  logVerifyRoutes(context);
  sessionRoutes(context);
  eventRoutes(context, options.events);
  forwardAuthRoutes(context);
  authzenRoutes(context);
  httpEnforcementMetrics(metrics.registry, () => gateways.http.reports.status());
  healthRoutes(context, { routes: () => gateways.http.routes.status(), enforcementRecords: () => gateways.http.reports.status() });
  mcpRoutes(context);
  consoleRoutes(app, options.console);

  app.get("/openapi.json", () => app.swagger());
  app.get("/problems/:code", (request, reply) => {
    const code = (request.params as { code: string }).code;
    if (!(code in ERROR_CODES)) return sendProblem(reply, problem("NOT_FOUND", `no problem type ${code}`));
    return { code, title: ERROR_CODES[code as ErrorCode] };
  });
  await app.ready();
  return app;
}
