// Forward-auth for nginx auth_request, Caddy forward_auth, Traefik ForwardAuth and Envoy's HTTP ext_authz: one endpoint, two forms.
import type { FastifyReply, FastifyRequest } from "fastify";
import { HeaderView, originalRequest, type CheckResult } from "../../enforce/http/index.js";
import type { IdentityDirectory } from "../../identity/index.js";
import type { Caller, Pep } from "../../record/index.js";
import type { ServerContext } from "../context.js";

/** The header a proxy authenticates itself with (an API key of an identity with the `pep` role). */
export const PEP_CREDENTIAL_HEADER = "x-arbiter-pep-credential";
export const FORWARD_AUTH_PATH = "/v1/forward-auth";
/** Envoy with_request_body and the reverse proxy's limit: larger bodies are not read for args. */
const BODY_LIMIT = 1024 * 1024;

/** The proxy as an enforcement point: its pep label and, for the records, who it authenticated as. */
export async function pepOf(identities: IdentityDirectory, headers: HeaderView): Promise<{ pep?: Pep; caller?: Caller; problem?: string }> {
  const values = headers.all(PEP_CREDENTIAL_HEADER);
  if (values.length === 0) return { problem: `no ${PEP_CREDENTIAL_HEADER} header` };
  if (values.length > 1) return { problem: `more than one ${PEP_CREDENTIAL_HEADER} header` };
  // The directory's operator cache: checked again as soon as identity state changes, so revocation is immediate.
  const result = await identities.authenticateOperator(values[0] ?? "");
  if (!result.ok) return { problem: `the PEP credential was refused: ${result.reason}` };
  const { identity, credential } = result.auth;
  if (!identity.roles.includes("pep")) return { problem: `${identity.id} does not have the pep role` };
  return { pep: { id: identity.id, kind: "http" }, caller: { id: identity.id, type: identity.type, determined_by: "credential", credential: { id: credential.id, kind: credential.kind } } };
}

async function send(reply: FastifyReply, result: CheckResult): Promise<FastifyReply> {
  reply.status(result.status).headers(result.headers);
  if (result.status < 300) return reply.send();
  return reply.type("application/problem+json").send(result.body);
}

export function forwardAuthRoutes({ app, runtime, gateways }: ServerContext): void {
  const { http } = gateways;
  // Own scope: any method, any body type read as bytes (Envoy may send the body), and no per-request
  // info log lines, which would carry the original request-target and its query.
  void app.register((scope, _opts, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_request, body, parsed) => parsed(null, body));
    const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const headers = HeaderView.fromRaw(request.raw.rawHeaders);
      const rawUrl = request.raw.url ?? "";
      const suffix = rawUrl.length > FORWARD_AUTH_PATH.length && rawUrl.startsWith(`${FORWARD_AUTH_PATH}/`) ? rawUrl.slice(FORWARD_AUTH_PATH.length) : undefined;
      const host = headers.all("host");
      const { pep, caller, problem } = await pepOf(runtime.identities, headers);
      const result = await http.check({
        pep,
        ...(caller ? { caller } : {}),
        ...(problem ? { pepProblem: problem } : {}),
        original: originalRequest(headers, request.method, suffix, host.length === 1 ? host[0] : undefined),
        headers,
        ...(Buffer.isBuffer(request.body) && request.body.length > 0 ? { body: request.body } : {}),
        canMask: false,
      });
      return send(reply, result);
    };
    scope.all(FORWARD_AUTH_PATH, { logLevel: "warn", schema: { hide: true } }, handler);
    scope.all(`${FORWARD_AUTH_PATH}/*`, { logLevel: "warn", schema: { hide: true } }, handler);
    done();
  });
}
