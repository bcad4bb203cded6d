// The forward-auth endpoint's contract with each proxy, spoken by a client: Traefik's ForwardAuth
// headers (no Traefik package here), Envoy's HTTP ext_authz path form, and what an untrusted caller
// of the endpoint gets. Plus the routes file's reload, health and records.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../../src/record/index.js";
import { bearer, raw, type RawAnswer } from "./raw.js";
import { startHttpWorld, type HttpWorld } from "./world.js";

let world: HttpWorld;
beforeAll(async () => {
  world = await startHttpWorld();
}, 30_000);

const key = (id: string): string => world.keys[id] as string;
const pep = (id = "edge-nginx"): [string, string] => ["x-arbiter-pep-credential", key(id)];

function decisionOf(answer: RawAnswer): Extract<StoredRecord, { kind: "decision" }> {
  return world.runtime.decisions.find(answer.headers["x-arbiter-decision-id"] as string).record as Extract<StoredRecord, { kind: "decision" }>;
}

/** What Traefik's ForwardAuth sends: GET to the address with X-Forwarded-* set by Traefik and the client's own headers. */
function traefik(method: string, uri: string, headers: [string, string][]): Promise<RawAnswer> {
  return raw(world.url, "GET", "/v1/forward-auth", [
    ["x-forwarded-method", method],
    ["x-forwarded-proto", "https"],
    ["x-forwarded-host", "api.example.com"],
    ["x-forwarded-uri", uri],
    ["x-forwarded-for", "203.0.113.9"],
    ...headers,
  ]);
}

describe("Traefik ForwardAuth header contract", () => {
  it("allows with 200 and the headers authResponseHeaders copies upstream", async () => {
    const answer = await traefik("POST", "/environments/staging/deploy", [pep(), bearer(key("release-pipeline"))]);
    expect(answer.status).toBe(200);
    expect(answer.headers["x-arbiter-subject"]).toBe("release-pipeline");
    expect(answer.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(decisionOf(answer)).toMatchObject({ outcome: "allow", action: "deploy", resource: { id: "staging" }, attributes: { http: { host: "api.example.com", scheme: "https" } } });
  });

  it("refuses with a problem body and headers Traefik returns to the client as they are", async () => {
    const answer = await traefik("POST", "/environments/production/deploy", [pep(), bearer(key("release-pipeline"))]);
    expect(answer.status).toBe(403);
    expect(answer.headers["content-type"]).toContain("application/problem+json");
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body).toMatchObject({ reason_code: "APPROVAL_REQUIRED", decision_id: answer.headers["x-arbiter-decision-id"], approval_request: { state: "pending" } });
  });
});

describe("Envoy HTTP ext_authz (path_prefix /v1/forward-auth)", () => {
  it("reads the original method, path and Host from the check request itself", async () => {
    const answer = await raw(world.url, "DELETE", "/v1/forward-auth/datasets/crm/records/7", [["host", "orders.internal:8443"], pep(), bearer(key("support-agent"))]);
    expect(answer.status).toBe(403);
    expect(decisionOf(answer)).toMatchObject({ reason_code: "NO_MATCHING_PERMIT", action: "delete_records", attributes: { http: { method: "DELETE", host: "orders.internal", path: "/datasets/crm/records/7" } } });
  });

  it("refuses a forwarded header that contradicts the path", async () => {
    const answer = await raw(world.url, "GET", "/v1/forward-auth/admin", [["host", "orders.internal"], ["x-forwarded-uri", "/docs/search"], pep(), bearer(key("carol"))]);
    expect(answer.status).toBe(403);
    expect(decisionOf(answer)).toMatchObject({ reason_code: "REQUEST_REJECTED", note: expect.stringContaining("name different request-targets") as unknown });
  });
});

describe("who may ask", () => {
  it("refuses and records a check without a PEP credential, believing nothing it says", async () => {
    const answer = await traefik("GET", "/docs/search", [bearer(key("research-agent"))]);
    expect(answer.status).toBe(403);
    expect(answer.headers["x-arbiter-reason"]).toBe("PEP_UNAUTHENTICATED");
    expect(decisionOf(answer)).toMatchObject({ outcome: "deny", pep: { id: "unauthenticated" }, subject: { id: "anonymous", type: "unknown" } });
    expect(decisionOf(answer).caller).toBeUndefined();
  });

  it("refuses a caller's own key used as the PEP credential (no pep role)", async () => {
    const answer = await traefik("GET", "/docs/search", [pep("research-agent"), bearer(key("research-agent"))]);
    expect(answer.status).toBe(403);
    expect(decisionOf(answer).note).toContain("does not have the pep role");
  });

  it("believes a client-certificate subject only from a PEP whose listener verifies certificates", async () => {
    const trusted = await traefik("DELETE", "/datasets/crm/records/1", [pep("edge-nginx"), ["x-client-cert-subject", "CN=support-agent,O=Test"]]);
    expect(decisionOf(trusted)).toMatchObject({ subject: { id: "support-agent" }, reason_code: "NO_MATCHING_PERMIT", attributes: { http: { caller: { kind: "client_certificate" } } } });
    const untrusted = await traefik("DELETE", "/datasets/crm/records/1", [pep("edge-caddy"), ["x-client-cert-subject", "CN=support-agent,O=Test"]]);
    expect(untrusted.status).toBe(401);
    expect(decisionOf(untrusted).reason_code).toBe("CREDENTIAL_MISSING");
  });

  it("refuses an allow it cannot enforce (masking needs the reverse proxy) and records the block", async () => {
    const answer = await traefik("GET", "/datasets/crm/customers", [pep(), bearer(key("support-agent"))]);
    expect(answer.status).toBe(403);
    expect(answer.headers["x-arbiter-reason"]).toBe("DECISION_ERROR");
    const id = answer.headers["x-arbiter-decision-id"] as string;
    const explained = world.runtime.decisions.explain(id);
    expect(explained.record).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });
    expect(explained.related.map((r) => r.record)).toContainEqual(expect.objectContaining({ kind: "enforcement", status: "blocked", decision_id: id }));
  });

  it("records at most the per-second budget of unauthenticated checks one by one, and counts the rest", async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => traefik("GET", "/docs/search", [])));
    expect(answers.every((a) => a.status === 403 && a.headers["x-arbiter-reason"] === "PEP_UNAUTHENTICATED")).toBe(true);
    const recorded = answers.filter((a) => a.headers["x-arbiter-decision-id"] !== undefined).length;
    expect(recorded).toBeLessThanOrEqual(21);
    expect(recorded).toBeGreaterThan(0);
  });
});

describe("the routes file", () => {
  it("is re-read when it changes; a bad change keeps the last good routes and says so in /healthz and a record", async () => {
    const before = (await (await fetch(`${world.url}/healthz`)).json()) as { http: { routes: { version: string; error: string | null } } };
    expect(before.http.routes).toMatchObject({ error: null });
    writeFileSync(join(world.dir, "routes.yaml"), "routes:\n  - match: GET /x/:id\n    action: search_docs\n    resource: { type: Tool, id: '{nope}' }\n");
    world.clock.advance(5);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const still = await traefik("POST", "/environments/staging/deploy", [pep(), bearer(key("release-pipeline"))]);
    expect(still.status).toBe(200);
    const health = (await (await fetch(`${world.url}/healthz`)).json()) as { status: string; http: { routes: { version: string; error: string } } };
    expect(health.status).toBe("degraded");
    expect(health.http.routes.version).toBe(before.http.routes.version);
    expect(health.http.routes.error).toContain("{nope}");
    const events = world.runtime.ledger.reader.queryRecords({ kind: "event", limit: 10 }).map((loc) => JSON.parse(world.runtime.ledger.entry(loc.index).toString("utf8")) as Record<string, unknown>);
    expect(events).toContainEqual(expect.objectContaining({ action: "routes_refused", outcome: "error" }));
  });
});
