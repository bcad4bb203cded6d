// Envoy's gRPC ext_authz, spoken by a grpc-js client sending Envoy-shaped CheckRequests (no Envoy binary is
// packaged here): every outcome, the headers Envoy passes on, the request body, hostile input, and the
// wire itself (a CheckRequest encoded by hand from Envoy's field numbers).
import { credentials, loadPackageDefinition, Metadata, type Client, type ServiceError } from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXT_AUTHZ_PROTO, PROTO_OPTIONS } from "../../../src/enforce/http/index.js";
import type { StoredRecord } from "../../../src/record/index.js";
import { listenExtAuthz, type ExtAuthzServer } from "../../../src/server/index.js";
import { startHttpWorld, type HttpWorld } from "./world.js";

interface HeaderOption {
  header: { key: string; value: string };
  append_action?: number;
}
interface CheckResponse {
  status: { code?: number; message?: string };
  ok_response?: { headers?: HeaderOption[]; headers_to_remove?: string[]; response_headers_to_add?: HeaderOption[] };
  denied_response?: { status: { code: number }; headers?: HeaderOption[]; body?: string };
  http_response?: string;
}
type CheckClient = Client & { Check(request: unknown, metadata: Metadata, callback: (err: ServiceError | null, response: CheckResponse) => void): void };

let world: HttpWorld;
let server: ExtAuthzServer;
let client: CheckClient;

beforeAll(async () => {
  world = await startHttpWorld();
  server = await listenExtAuthz(world.gateways, { host: "127.0.0.1", port: 0 }, () => undefined);
  const definition = loadPackageDefinition(loadSync(EXT_AUTHZ_PROTO, PROTO_OPTIONS)) as unknown as { envoy: { service: { auth: { v3: { Authorization: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => CheckClient } } } } };
  client = new definition.envoy.service.auth.v3.Authorization(`127.0.0.1:${server.port}`, credentials.createInsecure());
}, 30_000);
afterAll(async () => {
  client.close();
  await server.close();
});

const key = (id: string): string => world.keys[id] as string;

function pepMetadata(id: string | null = "edge-nginx"): Metadata {
  const metadata = new Metadata();
  if (id) metadata.set("x-arbiter-pep-credential", key(id));
  return metadata;
}

/** What Envoy sends: the original request's method, path (with query), host and lowercased headers. */
function check(http: Record<string, unknown>, metadata = pepMetadata()): Promise<CheckResponse> {
  const request = { attributes: { source: { principal: "" }, request: { time: { seconds: "1795000000" }, http: { id: "8d2e", scheme: "https", protocol: "HTTP/1.1", host: "api.example.com", ...http } } } };
  return new Promise((resolve, reject) => client.Check(request, metadata, (err, response) => (err ? reject(err) : resolve(response))));
}

const header = (options: HeaderOption[] | undefined, name: string): string | undefined => options?.find((o) => o.header.key === name)?.header.value;

function decisionOf(id: string | undefined): Extract<StoredRecord, { kind: "decision" }> {
  expect(typeof id).toBe("string");
  return world.runtime.decisions.find(id as string).record as Extract<StoredRecord, { kind: "decision" }>;
}

const auth = (id: string): Record<string, string> => ({ authorization: `Bearer ${key(id)}` });

describe("Envoy gRPC ext_authz", () => {
  it("allows with OK and the headers Envoy sets on the upstream request, replacing any copy the client sent", async () => {
    const response = await check({ method: "GET", path: "/docs/search?q=rotation", headers: { ...auth("research-agent"), traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "x-arbiter-decision-id": "forged" } });
    expect(response.status.code ?? 0).toBe(0);
    expect(response.http_response).toBe("ok_response");
    const headers = response.ok_response?.headers;
    expect(headers?.every((h) => h.append_action === 2)).toBe(true);
    expect(header(headers, "x-arbiter-subject")).toBe("research-agent");
    expect(header(headers, "traceparent")).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(response.ok_response?.headers_to_remove).toContain("x-arbiter-pep-credential");
    const id = header(headers, "x-arbiter-decision-id");
    expect(header(response.ok_response?.response_headers_to_add, "x-arbiter-decision-id")).toBe(id);
    expect(decisionOf(id)).toMatchObject({ outcome: "allow", action: "search_docs", pep: { id: "edge-nginx", kind: "http" }, caller: { id: "edge-nginx" }, attributes: { http: { method: "GET", host: "api.example.com", path: "/docs/search", scheme: "https" } } });
  });

  it.each([
    ["a deny", { method: "DELETE", path: "/datasets/crm/records/42" }, "support-agent", 7, 403, "NO_MATCHING_PERMIT"],
    ["a step-up", { method: "POST", path: "/secrets/db-password/rotate" }, "alice", 16, 401, "STEP_UP_REQUIRED"],
    ["an approval", { method: "POST", path: "/environments/production/deploy" }, "release-pipeline", 7, 403, "APPROVAL_REQUIRED"],
    ["an unknown route", { method: "GET", path: "/admin/users" }, "carol", 7, 403, "NO_ROUTE"],
  ])("answers %s with a denied response carrying Arbiter's status, headers and problem", async (_, http, caller, rpc, status, reason) => {
    const response = await check({ ...http, headers: auth(caller) });
    expect(response.status.code).toBe(rpc);
    expect(response.denied_response?.status.code).toBe(status);
    const headers = response.denied_response?.headers;
    expect(header(headers, "x-arbiter-reason")).toBe(reason);
    expect(header(headers, "content-type")).toBe("application/problem+json");
    const body = JSON.parse(response.denied_response?.body ?? "{}") as Record<string, unknown>;
    expect(body).toMatchObject({ reason_code: reason, decision_id: header(headers, "x-arbiter-decision-id") });
    expect(decisionOf(header(headers, "x-arbiter-decision-id")).reason_code).toBe(reason);
    if (status === 401 && reason === "STEP_UP_REQUIRED") expect(header(headers, "www-authenticate")).toContain('error="insufficient_user_authentication"');
    if (reason === "APPROVAL_REQUIRED") expect(header(headers, "x-arbiter-approval-request")).toMatch(/^apr_/);
  });

  it("answers a rate limit with RESOURCE_EXHAUSTED, 429 and Retry-After", async () => {
    let response: CheckResponse | undefined;
    for (let i = 0; i < 8 && response?.denied_response?.status.code !== 429; i++) response = await check({ method: "GET", path: "/docs/search", headers: auth("support-agent") });
    expect(response?.status.code).toBe(8);
    expect(Number(header(response?.denied_response?.headers, "retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("refuses and records a check without the PEP credential in its metadata", async () => {
    const response = await check({ method: "GET", path: "/docs/search", headers: auth("research-agent") }, pepMetadata(null));
    expect(response.denied_response?.status.code).toBe(403);
    expect(header(response.denied_response?.headers, "x-arbiter-reason")).toBe("PEP_UNAUTHENTICATED");
  });

  it.each([
    ["an encoded dot-dot segment", { method: "GET", path: "/docs/%2e%2e/admin" }, "dot segment"],
    ["a double encoding", { method: "GET", path: "/docs/%252e%252e/search" }, "double-encoded"],
    ["a forged X-Original-URI", { method: "GET", path: "/admin/users", headers: { "x-original-uri": "/docs/search" } }, "name different request-targets"],
    ["an oversized header", { method: "GET", path: "/docs/search", headers: { "x-filler": "a".repeat(9000) } }, "longer than 8192 bytes"],
  ] as [string, { method: string; path: string; headers?: Record<string, string> }, string][])("refuses %s with a record", async (_, http, note) => {
    const response = await check({ ...http, headers: { ...auth("research-agent"), ...(http.headers ?? {}) } });
    expect(response.denied_response?.status.code).toBe(403);
    const decision = decisionOf(header(response.denied_response?.headers, "x-arbiter-decision-id"));
    expect(decision).toMatchObject({ outcome: "deny", reason_code: "REQUEST_REJECTED" });
    expect(decision.note).toContain(note);
  });

  it("sees duplicate headers when Envoy sends them raw (encode_raw_headers) and refuses two credentials", async () => {
    const lines = [
      { key: "authorization", raw_value: Buffer.from(`Bearer ${key("research-agent")}`) },
      { key: "authorization", raw_value: Buffer.from(`Bearer ${key("carol")}`) },
    ];
    const response = await check({ method: "GET", path: "/docs/search", header_map: { headers: lines } });
    expect(response.denied_response?.status.code).toBe(403);
    expect(decisionOf(header(response.denied_response?.headers, "x-arbiter-decision-id")).note).toContain("more than one Authorization header");
  });

  describe("with_request_body", () => {
    const release = (body: Record<string, unknown>, extra: Record<string, string> = {}) => check({ method: "POST", path: "/releases/staging", headers: { ...auth("release-pipeline"), "content-type": "application/json", ...extra }, ...body });

    it("reads args from the body Envoy sends, as text or as bytes (pack_as_bytes)", async () => {
      const asText = await release({ body: JSON.stringify({ version: "1.4.2", notes: "x" }) });
      expect(asText.http_response).toBe("ok_response");
      const asBytes = await release({ raw_body: Buffer.from(JSON.stringify({ version: "1.4.2", notes: "y" })) });
      expect(asBytes.http_response).toBe("ok_response");
      const a = decisionOf(header(asText.ok_response?.headers, "x-arbiter-decision-id"));
      const b = decisionOf(header(asBytes.ok_response?.headers, "x-arbiter-decision-id"));
      // Only the named members become args: the same version is the same args, whatever else the body says.
      expect(a.args_digest).toBe(b.args_digest);
      const other = await release({ body: JSON.stringify({ version: "2.0.0" }) });
      expect(decisionOf(header(other.ok_response?.headers, "x-arbiter-decision-id")).args_digest).not.toBe(a.args_digest);
    });

    it("refuses a route that needs the body when Envoy sent none or only part of it", async () => {
      for (const response of [await release({}), await release({ body: '{"version":"1.4' }, { "x-envoy-auth-partial-body": "true" })]) {
        expect(response.denied_response?.status.code).toBe(403);
        expect(decisionOf(header(response.denied_response?.headers, "x-arbiter-decision-id")).note).toContain("does not receive");
      }
    });
  });
});

/** Protocol Buffers wire format (protobuf.dev/programming-guides/encoding): a length-delimited field. */
function field(number: number, value: Buffer | string): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value) : value;
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

describe("the wire, by Envoy's field numbers", () => {
  it("answers a CheckRequest encoded by hand: attributes=1, request=4, http=2, method=2, headers=3, path=4, host=5", async () => {
    const entry = (k: string, v: string) => field(3, Buffer.concat([field(1, k), field(2, v)]));
    const http = Buffer.concat([field(2, "GET"), entry("authorization", `Bearer ${key("research-agent")}`), field(4, "/docs/search?q=wire"), field(5, "wire.example.com")]);
    const request = field(1, field(4, field(2, http)));
    const metadata = pepMetadata();
    const answer = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest("/envoy.service.auth.v3.Authorization/Check", (b: Buffer) => b, (b: Buffer) => b, request, metadata, (err, value) => (err || !value ? reject(err ?? new Error("no answer")) : resolve(value))),
    );
    // CheckResponse: ok_response is field 3 (tag 0x1a); in it, headers is field 2 (tag 0x12) whose header (1) holds key (1) and value (2).
    expect(answer.includes(Buffer.from([0x1a]))).toBe(true);
    const name = field(1, "x-arbiter-decision-id");
    const at = answer.indexOf(name) + name.length;
    expect(at).toBeGreaterThan(name.length);
    // The value follows as field 2 (tag 0x12) with a one-byte length.
    expect(answer[at]).toBe(0x12);
    const id = answer.subarray(at + 2, at + 2 + (answer[at + 1] as number)).toString("utf8");
    const decision = decisionOf(id);
    expect(decision).toMatchObject({ outcome: "allow", attributes: { http: { host: "wire.example.com", path: "/docs/search" } } });
  });
});
