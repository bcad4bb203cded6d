// The Fastify application: zod-validated routes, problem+json errors, operator auth, OpenAPI and metrics.
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import Fastify from "fastify";
import { createJsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { ERROR_CODES, type ErrorCode } from "../record/index.js";
import type { HttpEnforcementOptions, HttpEnforcer } from "../enforce/http/index.js";
import type { Runtime } from "../runtime/index.js";
import type { ArbiterApp, ServerContext } from "./context.js";
import { createMetrics } from "./metrics.js";
import { errorHandler, problem, sendProblem } from "./problem.js";
import { approvalRoutes } from "./routes/approvals.js";
import { authzenRoutes } from "./routes/authzen.js";
import { breakGlassRoutes } from "./routes/breakglass.js";
import { decisionRoutes } from "./routes/decisions.js";
import { grantRoutes } from "./routes/grants.js";
import { healthRoutes } from "./routes/health.js";
import { httpRoutes } from "./routes/http.js";
import { identityRoutes } from "./routes/identities.js";
import { linkageRoutes } from "./routes/linkage.js";
import { logRoutes } from "./routes/log.js";
import { mcpRoutes, type McpRouteOptions } from "./routes/mcp.js";
import { policyRoutes } from "./routes/policies.js";

export interface ServerOptions {
  /** pino log level; "silent" in tests. */
  logLevel?: string;
  /** Largest request body; decision requests are small, and bigger contexts are refused. */
  bodyLimit?: number;
  /** Machine-API enforcement: the routes file and how often it is re-read. */
  http?: HttpEnforcementOptions;
  /** Browser origins allowed to call the API across origins; none (the default) leaves CORS off. */
  corsOrigins?: readonly string[];
  /** Sessions and time limits of the MCP gateway at /mcp/NAME. */
  mcp?: McpRouteOptions;
}

export const DEFAULT_BODY_LIMIT = 64 * 1024;

const enforcers = new WeakMap<ArbiterApp, HttpEnforcer>();

/** The HTTP enforcement of a built server, for the doors on ports of their own (Envoy gRPC, the reverse proxy): one routes file, one flood budget. */
export function httpEnforcerOf(app: ArbiterApp): HttpEnforcer {
  const http = enforcers.get(app);
  if (!http) throw new Error("not an app built by buildServer");
  return http;
}

export async function buildServer(runtime: Runtime, options: ServerOptions = {}): Promise<ArbiterApp> {
  const app = Fastify({
    logger: {
      level: options.logLevel ?? "info",
      // Credentials travel in this header; it never reaches a log line.
      redact: { paths: ["req.headers.authorization", "req.headers.cookie", 'req.headers["x-arbiter-pep-credential"]'], censor: "[redacted]" },
    },
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  // An empty body with a JSON content type (curl -X POST -H 'content-type: application/json') means "no body".
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text === "") done(null, undefined);
    else void parseJson(request, text, done);
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
  app.addHook("onResponse", (request, reply, done) => {
    metrics.httpRequests.inc({ method: request.method, route: request.routeOptions.url ?? "unmatched", status: String(reply.statusCode) });
    done();
  });

  const context: ServerContext = { app, runtime, metrics };
  decisionRoutes(context);
  approvalRoutes(context);
  grantRoutes(context);
  breakGlassRoutes(context);
  identityRoutes(context);
  policyRoutes(context);
  linkageRoutes(context);
  logRoutes(context);
  const http = httpRoutes(context, options.http);
  enforcers.set(app, http);
  authzenRoutes(context);
  healthRoutes(context, { routes: () => http.routes.status() });
  mcpRoutes(context, options.mcp);

  app.get("/openapi.json", () => app.swagger());
  app.get("/problems/:code", (request, reply) => {
    const code = (request.params as { code: string }).code;
    if (!(code in ERROR_CODES)) return sendProblem(reply, problem("NOT_FOUND", `no problem type ${code}`));
    return { code, title: ERROR_CODES[code as ErrorCode] };
  });
  await app.ready();
  return app;
}
