// Headers every answer carries: nothing that holds a credential, a decision or a record is kept by a cache, and no answer is MIME-sniffed.
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";

/** The API, AuthZEN, the MCP gateway and health: answers that carry credentials, decisions, records or the ledger's state. */
const NO_STORE = [/^\/v1(\/|$)/, /^\/access(\/|$)/, /^\/mcp(\/|$)/, /^\/healthz$/];

/**
 * An onRequest hook, so that every answer gets the headers: refusals sent by later hooks, errors, and
 * the MCP routes that answer on the raw response (set on it, they survive the hijack).
 */
export function securityHeaders(request: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.raw.setHeader("x-content-type-options", "nosniff");
  const path = (request.raw.url ?? "").split("?")[0] ?? "";
  if (NO_STORE.some((pattern) => pattern.test(path))) reply.raw.setHeader("cache-control", "no-store");
  done();
}

/**
 * For an answer written on the raw response by code we do not own (the MCP SDK's transport sends
 * its SSE streams with `Cache-Control: no-cache, no-transform`, which lets a cache keep them): any
 * Cache-Control it writes becomes no-store, keeping no-transform so that proxies leave a stream alone.
 */
export function keepNoStore(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => ServerResponse;
  const rewritten = (status: number, ...rest: unknown[]): ServerResponse => {
    for (const part of rest) {
      if (typeof part !== "object" || part === null || Array.isArray(part)) continue;
      const headers = part as OutgoingHttpHeaders;
      for (const name of Object.keys(headers).filter((key) => key.toLowerCase() === "cache-control")) {
        const given = String(headers[name]);
        delete headers[name];
        headers["cache-control"] = /no-transform/i.test(given) ? "no-store, no-transform" : "no-store";
      }
    }
    return writeHead(status, ...rest);
  };
  res.writeHead = rewritten;
}
