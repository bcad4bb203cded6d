// Real nginx and Caddy in front of a real upstream, asking Arbiter before every request: every outcome,
// what reaches the upstream (and what never does), each credential form, and hostile input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../../src/record/index.js";
import { bearer, raw, type RawAnswer } from "./raw.js";
import { IDP_AUDIENCE, IDP_ISSUER, TRUST_DOMAIN, startCaddy, startHttpWorld, startNginx, stopProxies, type HttpWorld, type Proxy } from "./world.js";

let world: HttpWorld;
let nginx: Proxy;
let caddy: Proxy;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

beforeAll(async () => {
  world = await startHttpWorld();
  [nginx, caddy] = await Promise.all([startNginx(world, world.keys["edge-nginx"] as string), startCaddy(world, world.keys["edge-caddy"] as string)]);
}, 60_000);
afterAll(stopProxies);

const key = (id: string): string => world.keys[id] as string;

/** The decision the answer names, from the ledger. */
function recorded(answer: RawAnswer): Extract<StoredRecord, { kind: "decision" }> {
  const id = answer.headers["x-arbiter-decision-id"];
  expect(typeof id, "the answer names its decision").toBe("string");
  return world.runtime.decisions.find(id as string).record as Extract<StoredRecord, { kind: "decision" }>;
}

/** Sends one request through a proxy and tells how many requests the upstream received meanwhile. */
async function through(proxy: Proxy, method: string, target: string, headers: [string, string][] = []): Promise<RawAnswer & { reached: number }> {
  const before = world.upstream.received.length;
  const answer = await raw(proxy.url, method, target, headers);
  return { ...answer, reached: world.upstream.received.length - before };
}

describe.each([
  ["nginx", () => nginx, "edge-nginx"],
  ["caddy", () => caddy, "edge-caddy"],
] as const)("%s with forward-auth", (name, proxy, pepId) => {
  it("allows a permitted request and tells the upstream the decision, the trace and the caller", async () => {
    const answer = await through(proxy(), "GET", "/docs/search?q=rotation", [bearer(key("research-agent")), ["traceparent", `00-${TRACE}-00f067aa0ba902b7-01`], ["x-arbiter-decision-id", "forged"], ["x-arbiter-subject", "carol"]]);
    expect(answer.status).toBe(200);
    expect(answer.reached).toBe(1);
    const seen = world.upstream.received.at(-1);
    const decision = recorded({ ...answer, headers: { "x-arbiter-decision-id": seen?.headers["x-arbiter-decision-id"] } });
    expect(decision).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT", action: "search_docs", resource: { id: "docs/search", type: "Tool" }, subject: { id: "research-agent" }, pep: { id: pepId, kind: "http" }, caller: { id: pepId, determined_by: "credential" } });
    expect(decision.attributes).toMatchObject({ http: { method: "GET", path: "/docs/search", route: "GET /docs/search", caller: { kind: "arbiter" } } });
    expect(decision.correlation).toMatchObject({ trace_id: TRACE, span_id: "00f067aa0ba902b7" });
    expect(seen?.headers["x-arbiter-subject"]).toBe("research-agent");
    expect(seen?.headers.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(seen?.headers["x-arbiter-pep-credential"]).toBeUndefined();
    expect(seen?.url).toBe("/docs/search?q=rotation");
  });

  it("refuses a denied request with 403, the reason and the note, and never forwards it", async () => {
    const answer = await through(proxy(), "DELETE", "/datasets/crm/records/42", [bearer(key("support-agent"))]);
    expect(answer.status).toBe(403);
    expect(answer.reached).toBe(0);
    expect(answer.headers["x-arbiter-reason"]).toBe("NO_MATCHING_PERMIT");
    expect(recorded(answer)).toMatchObject({ outcome: "deny", reason_code: "NO_MATCHING_PERMIT", action: "delete_records", resource: { id: "crm" } });
  });

  it("answers an approval challenge with 403 naming the approval request", async () => {
    const answer = await through(proxy(), "POST", "/environments/production/deploy", [bearer(key("release-pipeline"))]);
    expect(answer.status).toBe(403);
    expect(answer.reached).toBe(0);
    expect(answer.headers["x-arbiter-reason"]).toBe("APPROVAL_REQUIRED");
    const approval = answer.headers["x-arbiter-approval-request"];
    expect(approval).toMatch(/^apr_/);
    expect(world.runtime.approvals.get(approval as string)?.state).toBe("pending");
  });

  it("answers a step-up challenge with 401 and an RFC 9470 WWW-Authenticate", async () => {
    const answer = await through(proxy(), "POST", "/secrets/db-password/rotate", [bearer(key("alice"))]);
    expect(answer.status).toBe(401);
    expect(answer.reached).toBe(0);
    expect(answer.headers["www-authenticate"]).toMatch(/^Bearer realm="arbiter", error="insufficient_user_authentication", .*acr_values="mfa", max_age="300"$/);
    expect(recorded(answer).reason_code).toBe("STEP_UP_REQUIRED");
  });

  it("answers a rate limit with 429 and Retry-After", async () => {
    const agent = name === "nginx" ? "support-agent" : "research-agent";
    let last: RawAnswer | undefined;
    for (let i = 0; i < 7 && last?.status !== 429; i++) last = await through(proxy(), "GET", "/docs/search?q=x", [bearer(key(agent))]);
    expect(last?.status).toBe(429);
    expect(Number(last?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(last?.headers["x-arbiter-reason"]).toBe("RATE_LIMITED");
  });

  it("refuses an unknown route with NO_ROUTE, recorded, and decides an unmatched prefix the file names", async () => {
    const unknown = await through(proxy(), "GET", "/admin/users", [bearer(key("carol"))]);
    expect(unknown.status).toBe(403);
    expect(unknown.reached).toBe(0);
    expect(recorded(unknown)).toMatchObject({ outcome: "deny", reason_code: "NO_ROUTE", subject: { id: "anonymous" }, resource: { type: "HttpPath", id: "127.0.0.1/admin/users" } });
    const prefixed = await through(proxy(), "GET", "/public/guide", [bearer(key("carol"))]);
    expect(prefixed.status).toBe(200);
    expect(prefixed.reached).toBe(1);
  });

  it("refuses a request without a credential with 401 and a Bearer challenge", async () => {
    const answer = await through(proxy(), "GET", "/docs/search");
    expect(answer.status).toBe(401);
    expect(answer.reached).toBe(0);
    expect(answer.headers["www-authenticate"]).toBe('Bearer realm="arbiter"');
    expect(recorded(answer).reason_code).toBe("CREDENTIAL_MISSING");
  });

  it("refuses a forged X-Original-URI that contradicts the request", async () => {
    const answer = await through(proxy(), "GET", "/admin/users", [bearer(key("carol")), ["x-original-uri", "/docs/search"]]);
    expect(answer.status).toBe(403);
    expect(answer.reached).toBe(0);
    expect(recorded(answer)).toMatchObject({ reason_code: "REQUEST_REJECTED" });
  });

  it.each([
    ["a dot-dot segment", "/docs/../admin/users"],
    ["an encoded dot-dot segment", "/docs/%2e%2e/admin"],
    ["an encoded slash", "/datasets/crm%2frecords/customers"],
    ["a double encoding", "/docs/%252e%252e/search"],
    ["an encoded NUL", "/docs/search%00.json"],
    ["a ; path parameter", "/docs/search;jsessionid=1"],
    ["an encoded backslash", "/docs/..%5cadmin"],
    ["an empty segment", "/docs//search"],
  ])("refuses %s, records it, and never forwards it", async (_, target) => {
    const answer = await through(proxy(), "GET", target, [bearer(key("research-agent"))]);
    expect(answer.reached).toBe(0);
    // nginx refuses an encoded NUL itself, before asking; everything else is Arbiter's refusal.
    if (name === "nginx" && target.includes("%00")) {
      expect(answer.status).toBe(400);
      return;
    }
    expect(answer.status).toBe(403);
    expect(recorded(answer)).toMatchObject({ outcome: "deny", reason_code: "REQUEST_REJECTED", subject: { id: "anonymous" } });
  });
});

describe("caller forms through Caddy", () => {
  it("accepts an x-api-key, a JWT and a SPIFFE JWT-SVID (the invalid JWTs are below, through both proxies)", async () => {
    const deploy = (headers: [string, string][]) => through(caddy, "POST", "/environments/staging/deploy", headers);
    expect(await deploy([["x-api-key", key("release-pipeline")]])).toMatchObject({ status: 200, reached: 1 });
    const svid = await world.jwt({ aud: IDP_AUDIENCE, sub: `spiffe://${TRUST_DOMAIN}/ci/release` }, { key: "spiffe" });
    expect(await deploy([bearer(svid)])).toMatchObject({ status: 200, reached: 1 });
    expect(world.upstream.received.at(-1)?.headers["x-arbiter-subject"]).toBe("release-pipeline");
    world.clock.advance(61); // research-agent's search budget was spent by the rate-limit tests
    const viaJwt = await through(caddy, "GET", "/docs/search", [bearer(await world.jwt({ iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-research" }))]);
    expect(viaJwt).toMatchObject({ status: 200, reached: 1 });
    expect(recorded(viaJwt)).toMatchObject({ subject: { id: "research-agent" }, attributes: { http: { caller: { kind: "jwt", issuer: IDP_ISSUER, subject: "svc-research" } } } });
  });
});

describe("caller forms through nginx", () => {
  const deploy = (headers: [string, string][]) => through(nginx, "POST", "/environments/staging/deploy", headers);

  it("accepts an Arbiter API key in the x-api-key header", async () => {
    const answer = await deploy([["x-api-key", key("release-pipeline")]]);
    expect(answer.status).toBe(200);
    expect(answer.reached).toBe(1);
  });

  it("accepts a JWT from the configured issuer and maps its subject onto an identity", async () => {
    world.clock.advance(61); // research-agent's search budget was spent by the rate-limit test
    const token = await world.jwt({ iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-research" });
    const answer = await through(nginx, "GET", "/docs/search", [bearer(token)]);
    expect(answer.status).toBe(200);
    const id = world.upstream.received.at(-1)?.headers["x-arbiter-decision-id"] as string;
    const decision = world.runtime.decisions.find(id).record as Extract<StoredRecord, { kind: "decision" }>;
    expect(decision).toMatchObject({ subject: { id: "research-agent" }, attributes: { http: { caller: { kind: "jwt", issuer: IDP_ISSUER, subject: "svc-research" } } } });
  });

  it("accepts a SPIFFE JWT-SVID whose ID maps onto an identity", async () => {
    const svid = await world.jwt({ aud: IDP_AUDIENCE, sub: `spiffe://${TRUST_DOMAIN}/ci/release` }, { key: "spiffe" });
    const answer = await deploy([bearer(svid)]);
    expect(answer.status).toBe(200);
    expect(world.upstream.received.at(-1)?.headers["x-arbiter-subject"]).toBe("release-pipeline");
  });

  it("refuses two Authorization headers (nginx refuses them itself; Caddy passes both on)", async () => {
    expect(await through(nginx, "GET", "/docs/search", [bearer(key("research-agent")), bearer(key("carol"))])).toMatchObject({ status: 400, reached: 0 });
    const answer = await through(caddy, "GET", "/docs/search", [bearer(key("research-agent")), bearer(key("carol"))]);
    expect(answer).toMatchObject({ status: 403, reached: 0 });
    expect(recorded(answer)).toMatchObject({ reason_code: "REQUEST_REJECTED", note: expect.stringContaining("more than one Authorization header") as unknown });
  });
});

// The bad-input list holds through either proxy: each a refusal Arbiter records, never a forward.
describe.each([
  ["nginx", () => nginx],
  ["caddy", () => caddy],
] as const)("invalid credentials and targets through %s", (name, proxy) => {
  it.each([
    ["signed by another key", { iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-research" }, { key: "stranger" as const }, "CREDENTIAL_INVALID"],
    ["for another audience", { iss: IDP_ISSUER, aud: "billing", sub: "svc-research" }, {}, "CREDENTIAL_INVALID"],
    ["expired", { iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-research" }, { expiresIn: 1_000_000 }, "CREDENTIAL_EXPIRED"],
    ["from an unknown issuer", { iss: "https://evil.example", aud: IDP_AUDIENCE, sub: "svc-research" }, {}, "CREDENTIAL_INVALID"],
    ["naming nobody Arbiter knows", { iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-unknown" }, {}, "UNKNOWN_PRINCIPAL"],
    ["a SPIFFE ID not mapped", { aud: IDP_AUDIENCE, sub: `spiffe://${TRUST_DOMAIN}/ci/other` }, { key: "spiffe" as const }, "UNKNOWN_PRINCIPAL"],
  ])("refuses a JWT %s, records it, and never forwards it", async (_, claims, options, reason) => {
    const answer = await through(proxy(), "GET", "/docs/search", [bearer(await world.jwt(claims, options))]);
    expect(answer.reached).toBe(0);
    expect(answer.headers["x-arbiter-reason"]).toBe(reason);
    expect([401, 403]).toContain(answer.status);
    expect(recorded(answer).reason_code).toBe(reason);
  });

  it("refuses an unsigned JWT (alg none)", async () => {
    const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const token = `${part({ alg: "none", typ: "JWT" })}.${part({ iss: IDP_ISSUER, aud: IDP_AUDIENCE, sub: "svc-research", exp: 9_999_999_999 })}.c2ln`;
    const answer = await through(proxy(), "GET", "/docs/search", [bearer(token)]);
    expect(answer).toMatchObject({ status: 401, reached: 0 });
    expect(recorded(answer).note).toContain("alg none");
  });

  it("refuses a request-target longer than the limit", async () => {
    const answer = await through(proxy(), "GET", `/docs/search?q=${"a".repeat(5000)}`, [bearer(key("research-agent"))]);
    expect(answer).toMatchObject({ status: 403, reached: 0 });
    expect(recorded(answer).note).toContain("longer than 4096 bytes");
  });

  it("refuses a header value past the limit (nginx refuses it itself; Caddy passes it on)", async () => {
    const answer = await through(proxy(), "GET", "/docs/search", [bearer(key("research-agent")), ["x-padding", "a".repeat(9000)]]);
    expect(answer.reached).toBe(0);
    if (name === "nginx") {
      expect(answer.status).toBe(400);
      return;
    }
    expect(answer.status).toBe(403);
    expect(recorded(answer)).toMatchObject({ reason_code: "REQUEST_REJECTED", note: expect.stringContaining("longer than 8192 bytes") as unknown });
  });
});
