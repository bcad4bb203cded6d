// MCP over Streamable HTTP at /mcp/NAME for the configured upstreams, and the visibility API a remote gateway filters its listings with.
import type { FastifyError, FastifyRequest } from "fastify";
import { z } from "zod";
import { visibilityRequestSchema, visibleTo } from "../../decide/index.js";
import { MAX_MESSAGE_BYTES, UPSTREAM_NAME } from "../../enforce/mcp/index.js";
import { assertionRefusal, bearerCredential } from "../../identity/index.js";
import { operatorOf, requireRole } from "../auth.js";
import { keepNoStore } from "../headers.js";
import { problem, sendProblem } from "../problem.js";
import { leaveBodyUnread } from "../unread-body.js";
import type { ServerContext } from "../context.js";

const nameParams = z.strictObject({ name: z.string().regex(UPSTREAM_NAME) });

function bearer(request: FastifyRequest): string | undefined {
  return bearerCredential(request.headers.authorization);
}

/** JSON-RPC 2.0 §5.1 codes for what went wrong before a message reached a session. */
function jsonRpcError(error: FastifyError): { status: number; code: number; message: string } {
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") return { status: 413, code: -32600, message: `Invalid Request: message larger than ${MAX_MESSAGE_BYTES} bytes` };
  if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return { status: 415, code: -32600, message: "Invalid Request: Content-Type must be application/json" };
  if (error.validation) return { status: 404, code: -32600, message: "Invalid Request: not an MCP upstream name" };
  if (error.statusCode === 400) return { status: 400, code: -32700, message: `Parse error: ${error.message}` };
  return { status: 500, code: -32603, message: "Internal error" };
}

export function mcpRoutes({ app, runtime, gateways }: ServerContext): void {
  const front = gateways.mcp;
  // Before the HTTP server stops: open SSE streams end, and queued enforcement records are written while the ledger is still open.
  app.addHook("preClose", async () => front.close());

  // Registered in their own scope: JSON-RPC bodies up to 4 MiB (the API's limit is 64 KiB) and JSON-RPC errors instead of problem+json.
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: MAX_MESSAGE_BYTES }, (_request, text, parsed) => {
      try {
        parsed(null, JSON.parse(typeof text === "string" ? text : text.toString("utf8")));
      } catch (err) {
        parsed(Object.assign(new Error(err instanceof Error ? err.message : "invalid JSON"), { statusCode: 400 }), undefined);
      }
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") leaveBodyUnread(request, reply);
      const { status, code, message } = jsonRpcError(error);
      return reply.status(status).type("application/json").send({ jsonrpc: "2.0", id: null, error: { code, message } });
    });
    scope.route({
      method: ["GET", "POST", "DELETE"],
      url: "/mcp/:name",
      schema: { params: nameParams, hide: true },
      handler: async (request, reply) => {
        const { name } = request.params as z.infer<typeof nameParams>;
        reply.hijack();
        keepNoStore(reply.raw);
        try {
          await front.handle(name, bearer(request), request.raw, reply.raw, request.body);
        } catch (err) {
          request.log.error({ err }, "MCP session failed");
          if (!reply.raw.headersSent) reply.raw.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32603, message: "Internal error" } }));
        }
      },
    });
    done();
  });

  app.post("/v1/visibility", {
    schema: { body: visibilityRequestSchema, tags: ["decisions"], summary: "For each candidate action and resource, whether some call of it could be allowed to the subject (listings)" },
    onRequest: requireRole(runtime.identities, "pep"),
    handler: async (request, reply) => {
      const ref = request.body.subject;
      if ("id" in ref) {
        // What a listing shows of someone is worth as much as a decision: the same scope applies.
        const pep = operatorOf(request);
        const identity = runtime.identities.get(ref.id);
        const note = assertionRefusal(pep.id, pep.assertion_scope, { id: ref.id, ...(identity ? { identity } : {}), authentication: ref.acr !== undefined || ref.authenticated_at !== undefined });
        if (note !== undefined) {
          await runtime.identities.recordAssertionRefusal(pep, "POST /v1/visibility", ref.id, note).catch((err: unknown) => request.log.error({ err, code: "LEDGER_UNAVAILABLE" }, "assertion refusal not recorded"));
          return sendProblem(reply, problem("FORBIDDEN", note, { reason_code: "ASSERTION_OUT_OF_SCOPE" }));
        }
      }
      return visibleTo(runtime, ref, request.body.candidates);
    },
  });
}
