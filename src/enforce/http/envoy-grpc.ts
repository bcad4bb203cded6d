// Envoy's gRPC ext_authz (envoy.service.auth.v3.Authorization/Check): the CheckRequest read into a check,
// the answer written back as the CheckResponse Envoy acts on. The messages are in proto/ at the repository root.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as GrpcJs from "@grpc/grpc-js";
import type { ServiceDefinition } from "@grpc/grpc-js";
import type * as ProtoLoader from "@grpc/proto-loader";
import { ANSWER_HEADERS, type CheckAnswer } from "./answer.js";
import { HeaderView } from "./headers.js";

export const EXT_AUTHZ_PROTO_ROOT = fileURLToPath(new URL("../../../proto", import.meta.url));
export const EXT_AUTHZ_PROTO = "envoy/service/auth/v3/external_auth.proto";
/** The metadata key (gRPC initial metadata, Envoy's `grpc_service.initial_metadata`) carrying the PEP credential. */
export const PEP_METADATA_KEY = "x-arbiter-pep-credential";
/** Envoy sets this request header when `with_request_body` sent only the first `max_request_bytes`. */
const PARTIAL_BODY_HEADER = "x-envoy-auth-partial-body";

/** Reading options: field names as in the .proto, int64 as text, bytes as Buffer, unset fields absent. */
export const PROTO_OPTIONS = { keepCase: true, longs: String, enums: Number, bytes: Buffer, defaults: false, oneofs: true, includeDirs: [EXT_AUTHZ_PROTO_ROOT] };

// Required when the service is made, not imported: every process that opens a data directory reaches
// this module, and loading grpc-js and the proto loader costs ≈ 110 ms; only `serve --ext-authz-port` needs them.
const requireLazily = createRequire(import.meta.url);

/** grpc-js, loaded on first use (see above). */
export function grpcJs(): typeof GrpcJs {
  return requireLazily("@grpc/grpc-js") as typeof GrpcJs;
}

/** The Authorization service as grpc-js serves it. */
export function authorizationService(): ServiceDefinition {
  const { loadSync } = requireLazily("@grpc/proto-loader") as typeof ProtoLoader;
  const definition = grpcJs().loadPackageDefinition(loadSync(EXT_AUTHZ_PROTO, PROTO_OPTIONS));
  const auth = (definition.envoy as Record<string, Record<string, Record<string, Record<string, { service: ServiceDefinition }>>>>).service?.auth?.v3?.Authorization;
  if (!auth) throw new Error(`${EXT_AUTHZ_PROTO} defines no envoy.service.auth.v3.Authorization`);
  return auth.service;
}

/** AttributeContext.HttpRequest as decoded with PROTO_OPTIONS (every field optional on the wire). */
export interface EnvoyHttpRequest {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  header_map?: { headers?: { key?: string; value?: string; raw_value?: Buffer }[] };
  path?: string;
  host?: string;
  scheme?: string;
  body?: string;
  raw_body?: Buffer;
}

export interface EnvoyCheckRequest {
  attributes?: {
    source?: { principal?: string };
    request?: { http?: EnvoyHttpRequest };
    context_extensions?: Record<string, string>;
  };
}

export interface EnvoyRequest {
  method: string | undefined;
  path: string | undefined;
  host: string | undefined;
  scheme: string | undefined;
  headers: HeaderView;
  body: Buffer | undefined;
  /** Why the request cannot be read at all (no HTTP attributes). */
  problem?: string;
}

/**
 * The original request as Envoy describes it. With `encode_raw_headers` Envoy sends every header
 * line apart (header_map), so duplicates stay visible; otherwise it merged them (headers).
 */
export function envoyRequest(check: EnvoyCheckRequest): EnvoyRequest {
  const http = check.attributes?.request?.http;
  if (!http) return { method: undefined, path: undefined, host: undefined, scheme: undefined, headers: HeaderView.fromRecord({}), body: undefined, problem: "the CheckRequest carries no attributes.request.http" };
  const raw = http.header_map?.headers;
  const headers = raw && raw.length > 0 ? HeaderView.fromPairs(raw.map((h) => [h.key ?? "", h.raw_value && h.raw_value.length > 0 ? h.raw_value.toString("latin1") : (h.value ?? "")])) : HeaderView.fromRecord(http.headers ?? {});
  // A truncated body would have its args read from part of it: without the whole body, a route that needs it is refused.
  const partial = headers.all(PARTIAL_BODY_HEADER).includes("true");
  const body = partial ? undefined : http.raw_body && http.raw_body.length > 0 ? http.raw_body : http.body ? Buffer.from(http.body, "utf8") : undefined;
  return {
    method: http.method || undefined,
    path: http.path || undefined,
    host: http.host || undefined,
    scheme: http.scheme || undefined,
    headers,
    body,
  };
}

/** google.rpc.Code (googleapis google/rpc/code.proto) for each HTTP status Arbiter answers with. */
const RPC_CODE: Record<number, number> = { 200: 0, 401: 16, 403: 7, 429: 8, 503: 14 };
const PERMISSION_DENIED = 7;
/** HeaderValueOption.HeaderAppendAction: a value Arbiter sets replaces any copy the client sent. */
const OVERWRITE_IF_EXISTS_OR_ADD = 2;
/** Headers Envoy copies to the upstream request on allow. */
const UPSTREAM_HEADERS = [ANSWER_HEADERS.decisionId, ANSWER_HEADERS.subject, ANSWER_HEADERS.traceparent] as const;

const option = (key: string, value: string) => ({ header: { key, value }, append_action: OVERWRITE_IF_EXISTS_OR_ADD });

/** The CheckResponse for an answer: OK with the headers for the upstream, or a denied response carrying Arbiter's status, headers and problem. */
export function checkResponse(answer: CheckAnswer): Record<string, unknown> {
  if (answer.status < 300) {
    const upstream = UPSTREAM_HEADERS.filter((name) => answer.headers[name] !== undefined).map((name) => option(name, answer.headers[name] as string));
    // A client's own copy of a header Arbiter did not set this time (no subject) must not reach the upstream either.
    const remove = [PEP_METADATA_KEY, ...UPSTREAM_HEADERS.filter((name) => answer.headers[name] === undefined)];
    const decision = answer.headers[ANSWER_HEADERS.decisionId];
    return {
      status: { code: 0, message: "" },
      ok_response: {
        headers: upstream,
        headers_to_remove: remove,
        response_headers_to_add: decision ? [option(ANSWER_HEADERS.decisionId, decision)] : [],
      },
    };
  }
  const headers = Object.entries({ ...answer.headers, "content-type": "application/problem+json" }).map(([key, value]) => option(key, value));
  return {
    status: { code: RPC_CODE[answer.status] ?? PERMISSION_DENIED, message: String(answer.headers[ANSWER_HEADERS.reason] ?? "denied") },
    denied_response: { status: { code: answer.status }, headers, body: JSON.stringify(answer.body) },
  };
}
