// Arbiter's own reverse proxy in front of a real upstream that counts what it receives: every outcome,
// what reaches the upstream (and what never does), masking of a JSON response, limits, and the
// enforcement record of each forwarded request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../../src/record/index.js";
import { listenProxy, type ProxyServer } from "../../../src/server/index.js";
import { bearer, raw, type RawAnswer } from "./raw.js";
import { SLOW_PATH, startHttpWorld, type HttpWorld } from "./world.js";

let world: HttpWorld;
let proxy: ProxyServer;
let base: string;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

beforeAll(async () => {
  world = await startHttpWorld();
  proxy = await listenProxy(world.gateways.http, { host: "127.0.0.1", port: 0, limits: { bodyBytes: 4096, headerBytes: 8192, timeoutMs: 1000, maskBytes: 65536 } }, () => undefined);
  base = `http://127.0.0.1:${proxy.port}`;
}, 60_000);
afterAll(() => proxy.close());

const key = (id: string): string => world.keys[id] as string;
type DecisionRecord = Extract<StoredRecord, { kind: "decision" }>;
type EnforcementRecord = Extract<StoredRecord, { kind: "enforcement" }>;

async function send(method: string, target: string, headers: [string, string][] = [], body?: string): Promise<RawAnswer & { reached: number }> {
  const before = world.upstream.received.length;
  const answer = await raw(base, method, target, headers, body);
  return { ...answer, reached: world.upstream.received.length - before };
}

function decisionOf(answer: RawAnswer): DecisionRecord {
  const id = answer.headers["x-arbiter-decision-id"];
  expect(typeof id, "the answer names its decision").toBe("string");
  return world.runtime.decisions.find(id as string).record as DecisionRecord;
}

/** The enforcement record, written just after the answer. */
async function enforcementOf(answer: RawAnswer): Promise<EnforcementRecord> {
  const id = answer.headers["x-arbiter-decision-id"] as string;
  for (let i = 0; i < 200; i++) {
    const found = world.runtime.decisions.explain(id).related.map((r) => r.record).find((r) => r.kind === "enforcement");
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no enforcement record for ${id}`);
}

describe("Arbiter's reverse proxy", () => {
  it("forwards an allowed request with the decision, the trace and the caller, strips what the client may not send, and records the enforcement", async () => {
    const answer = await send("GET", "/docs/search?q=rotation", [
      bearer(key("research-agent")),
      ["traceparent", `00-${TRACE}-00f067aa0ba902b7-01`],
      ["x-arbiter-decision-id", "forged"],
      ["x-arbiter-subject", "carol"],
      ["x-client-cert-subject", "CN=support-agent,O=Test"],
      ["x-forwarded-host", "evil.example"],
      ["connection", "keep-alive, x-client-hop"],
      ["x-client-hop", "secret"],
    ]);
    expect(answer.status).toBe(200);
    expect(answer.reached).toBe(1);
    const seen = world.upstream.received.at(-1);
    const decision = decisionOf(answer);
    expect(seen?.headers["x-arbiter-decision-id"]).toBe(decision.id);
    expect(decision).toMatchObject({ outcome: "allow", action: "search_docs", subject: { id: "research-agent" }, pep: { id: "arbiter-proxy", kind: "http" } });
    expect(decision.correlation).toMatchObject({ trace_id: TRACE });
    expect(seen?.headers.traceparent).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(seen?.headers["x-arbiter-subject"]).toBe("research-agent");
    expect(seen?.headers["x-client-cert-subject"]).toBeUndefined();
    expect(seen?.headers["x-client-hop"]).toBeUndefined();
    expect(seen?.headers["x-forwarded-host"]).toBe("127.0.0.1");
    expect(seen?.url).toBe("/docs/search?q=rotation");
    expect(answer.headers["x-upstream-hop"]).toBeUndefined();
    expect(JSON.parse(answer.body)).toEqual({ ok: true, url: "/docs/search?q=rotation" });
    const enforcement = await enforcementOf(answer);
    expect(enforcement).toMatchObject({ status: "executed", pep: { id: "arbiter-proxy" }, upstream: { status: 200, bytes: Buffer.byteLength(answer.body) } });
    expect(enforcement.duration_ms).toBeGreaterThanOrEqual(0);
  });

  it("drops a header named by any Connection line, not only the last (RFC 9110 §7.6.1)", async () => {
    const answer = await send("GET", "/docs/search?q=hop", [bearer(key("research-agent")), ["connection", "x-first-hop"], ["connection", "keep-alive"], ["x-first-hop", "secret"], ["x-kept", "yes"]]);
    expect(answer).toMatchObject({ status: 200, reached: 1 });
    const seen = world.upstream.received.at(-1);
    expect(seen?.headers["x-first-hop"]).toBeUndefined();
    expect(seen?.headers["x-kept"]).toBe("yes");
  });

  it("forwards a JSON body a route decides on, unchanged", async () => {
    const body = JSON.stringify({ version: "1.4.2", notes: "ok" });
    const answer = await send("POST", "/releases/staging", [["x-api-key", key("release-pipeline")], ["content-type", "application/json"]], body);
    expect(answer.status).toBe(200);
    expect(world.upstream.received.at(-1)?.body).toBe(body);
    expect(decisionOf(answer).action).toBe("deploy");
  });

  it.each([
    ["a denial", "DELETE", "/datasets/crm/records/42", "support-agent", 403, "NO_MATCHING_PERMIT"],
    ["an approval challenge", "POST", "/environments/production/deploy", "release-pipeline", 403, "APPROVAL_REQUIRED"],
    ["a step-up challenge", "POST", "/secrets/db-password/rotate", "alice", 401, "STEP_UP_REQUIRED"],
    ["an unknown route", "GET", "/admin/users", "carol", 403, "NO_ROUTE"],
  ])("answers %s as forward-auth does and never reaches the upstream", async (_, method, target, who, status, reason) => {
    const answer = await send(method, target, [bearer(key(who))]);
    expect(answer).toMatchObject({ status, reached: 0 });
    expect(answer.headers["x-arbiter-reason"]).toBe(reason);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
    expect(decisionOf(answer).reason_code).toBe(reason);
    if (reason === "APPROVAL_REQUIRED") expect(answer.headers["x-arbiter-approval-request"]).toMatch(/^apr_/);
    if (reason === "STEP_UP_REQUIRED") expect(answer.headers["www-authenticate"]).toContain('error="insufficient_user_authentication"');
  });

  it("answers a missing credential with 401 and a rate limit with 429 and Retry-After", async () => {
    expect(await send("GET", "/docs/search")).toMatchObject({ status: 401, reached: 0 });
    let last: RawAnswer & { reached: number } = await send("GET", "/docs/search?q=x", [bearer(key("support-agent"))]);
    for (let i = 0; i < 10 && last.status !== 429; i++) last = await send("GET", "/docs/search?q=x", [bearer(key("support-agent"))]);
    expect(last).toMatchObject({ status: 429, reached: 0 });
    expect(Number(last.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  });

  it("masks a JSON response as the decision's obligation says, and records what it masked (counts, never values)", async () => {
    const answer = await send("GET", "/datasets/crm/customers", [bearer(key("support-agent")), ["accept-encoding", "gzip"]]);
    expect(answer.status).toBe(200);
    expect(world.upstream.received.at(-1)?.headers["accept-encoding"]).toBe("identity");
    expect(answer.body).not.toContain("ada@example.com");
    expect(answer.body).not.toContain("4111 1111 1111 1111");
    expect(answer.body).not.toContain("5500 0000 0000 0004");
    const body = JSON.parse(answer.body) as { customers: { name: string; email: string }[] };
    expect(body.customers.map((c) => c.name)).toEqual(["Ada", "Bob"]);
    expect(Number(answer.headers["content-length"])).toBe(Buffer.byteLength(answer.body));
    const enforcement = await enforcementOf(answer);
    expect(enforcement).toMatchObject({ status: "executed", upstream: { status: 200 }, masked: { fields: expect.arrayContaining(["$.customers[0].email", "$.customers[1].email"]) as unknown, detectors: { field: 2, payment_card: 2 } } });
    expect(JSON.stringify(enforcement)).not.toContain("ada@example.com");
  });

  it.each([
    ["a dot-dot segment", "/docs/../admin/users"],
    ["an encoded dot-dot segment", "/docs/%2e%2e/admin"],
    ["an encoded slash", "/datasets/crm%2frecords/customers"],
    ["a double encoding", "/docs/%252e%252e/search"],
    ["an encoded backslash", "/docs/..%5cadmin"],
  ])("refuses %s, records it, and never forwards it", async (_, target) => {
    const answer = await send("GET", target, [bearer(key("research-agent"))]);
    expect(answer).toMatchObject({ status: 403, reached: 0 });
    expect(decisionOf(answer)).toMatchObject({ outcome: "deny", reason_code: "REQUEST_REJECTED", pep: { id: "arbiter-proxy" } });
  });

  it("refuses oversized headers (431), an oversized body (413) and duplicate credentials, each recorded, none forwarded", async () => {
    const headers = await send("GET", "/docs/search", [bearer(key("research-agent")), ["x-padding", "a".repeat(9000)]]);
    expect(headers).toMatchObject({ status: 431, reached: 0 });
    expect(decisionOf(headers)).toMatchObject({ reason_code: "REQUEST_REJECTED", note: expect.stringContaining("more than 8192") as unknown });
    const body = await send("POST", "/releases/staging", [["x-api-key", key("release-pipeline")], ["content-type", "application/json"]], JSON.stringify({ version: "x".repeat(5000) }));
    expect(body).toMatchObject({ status: 413, reached: 0 });
    expect(decisionOf(body).note).toContain("more than 4096");
    const twice = await send("GET", "/docs/search", [bearer(key("research-agent")), bearer(key("carol"))]);
    expect(twice).toMatchObject({ status: 403, reached: 0 });
    expect(decisionOf(twice).reason_code).toBe("REQUEST_REJECTED");
  });

  it("answers 504 when the upstream is too slow, and records the failure", async () => {
    const answer = await send("GET", `${SLOW_PATH}/report`, [bearer(key("carol"))]);
    expect(answer.status).toBe(504);
    expect(answer.reached).toBe(1);
    expect(await enforcementOf(answer)).toMatchObject({ status: "failed", upstream: { error: expect.stringContaining("no complete answer within 1000 ms") as unknown } });
  });
});
