// GET /v1/identities/:id/entitlements: what the active policy could allow an identity against what it used in 30 days, for auditors and admins only.
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { EntitlementsPage } from "../../src/decide/index.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { tempDir } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const search = await call(server, "POST", "/v1/decisions", server.as.pep, { subject: { credential: server.keys["support-agent"] }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } });
  expect(search.body).toMatchObject({ outcome: "allow" });
  // A refused call is no use of an entitlement.
  const refused = await call(server, "POST", "/v1/decisions", server.as.pep, { subject: { credential: server.keys["support-agent"] }, action: "delete_records", resource: { type: "Dataset", id: "crm" } });
  expect(refused.body).toMatchObject({ outcome: "deny" });
});

describe("entitlements granted vs used", () => {
  it("lists the actions policy could allow, each with its allowed decisions in the last 30 days, and flags the unused", async () => {
    const answer = await call<EntitlementsPage>(server, "GET", "/v1/identities/support-agent/entitlements", server.as.admin);
    expect(answer.status).toBe(200);
    expect(answer.body.window.days).toBe(30);
    expect(answer.body.window.to).toBe("2026-11-24T10:00:00.000Z");
    expect(answer.body.window.from).toBe("2026-10-25T10:00:00.000Z");
    expect(answer.body.entitlements.map(({ action, granted, used, unused }) => ({ action, granted, used, unused }))).toEqual(EXPECTED);
    expect(answer.body.entitlements.find((e) => e.action === "search_docs")).toMatchObject({ used: 1, last_used: "2026-11-24T10:00:00.000Z", resource_types: ["Tool"] });
    expect(answer.body.totals).toEqual({ granted: EXPECTED.length, used: 1, unused: EXPECTED.length - 1 });
    expect(answer.body.next_after).toBeUndefined();
  });

  it("pages by action name", async () => {
    const first = await call<EntitlementsPage>(server, "GET", "/v1/identities/support-agent/entitlements?limit=2", server.as.admin);
    expect(first.body.entitlements.map((e) => e.action)).toEqual(EXPECTED.slice(0, 2).map((e) => e.action));
    expect(first.body.next_after).toBe(EXPECTED[1]?.action);
    const rest = await call<EntitlementsPage>(server, "GET", `/v1/identities/support-agent/entitlements?limit=200&after=${first.body.next_after ?? ""}`, server.as.admin);
    expect(rest.body.entitlements.map((e) => e.action)).toEqual(EXPECTED.slice(2).map((e) => e.action));
    expect(rest.body.next_after).toBeUndefined();
  });

  it("refuses no credential, a wrong one, a PEP's, a page too large, an unknown identity, and an odd identity id", async () => {
    expect((await call(server, "GET", "/v1/identities/support-agent/entitlements", {})).status).toBe(401);
    expect((await call(server, "GET", "/v1/identities/support-agent/entitlements", { authorization: "Bearer arb_forged" })).status).toBe(401);
    expect(await call(server, "GET", "/v1/identities/support-agent/entitlements", server.as.pep)).toMatchObject({ status: 403, body: { reason_code: "ROLE_REQUIRED" } });
    expect((await call(server, "GET", "/v1/identities/support-agent/entitlements", server.as.approver)).status).toBe(403);
    expect((await call(server, "GET", "/v1/identities/support-agent/entitlements?limit=100000", server.as.admin)).status).toBe(400);
    expect((await call(server, "GET", "/v1/identities/support-agent/entitlements?limit=2&extra=1", server.as.admin)).status).toBe(400);
    expect(await call(server, "GET", "/v1/identities/nobody/entitlements", server.as.admin)).toMatchObject({ status: 404 });
    expect((await call(server, "GET", "/v1/identities/..%2F..%2Fetc/entitlements", server.as.admin)).status).toBe(400);
  });

  it("counts only the last 30 days: a use 31 days ago leaves the entitlement unused", async () => {
    server.clock.advance(31 * 86_400);
    const answer = await call<EntitlementsPage>(server, "GET", "/v1/identities/support-agent/entitlements", server.as.admin);
    expect(answer.body.entitlements.find((e) => e.action === "search_docs")).toMatchObject({ granted: true, used: 0, unused: true });
    expect(answer.body.totals).toEqual({ granted: 4, used: 0, unused: 4 });
  });
});

describe("an entitlement used but no longer granted", () => {
  it("is listed with granted false and its use, and counts neither as granted nor as unused", async () => {
    const query = await call(server, "POST", "/v1/decisions", server.as.pep, { subject: { credential: server.keys["support-agent"] }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
    expect(query.body).toMatchObject({ outcome: "allow" });
    // The next version of the policy set drops the support group's permit to query customer data.
    const narrowed = join(tempDir("arbiter-entitlements-"), "policies");
    cpSync(DEMO_POLICIES, narrowed, { recursive: true });
    rmSync(join(narrowed, "data.cedar"));
    await server.runtime.policies.activate(loadPolicyDir(narrowed), { id: "carol", type: "human" });

    const answer = await call<EntitlementsPage>(server, "GET", "/v1/identities/support-agent/entitlements", server.as.admin);
    expect(answer.status).toBe(200);
    expect(answer.body.entitlements.map(({ action, granted, used, unused }) => ({ action, granted, used, unused }))).toEqual([
      { action: "query_customers", granted: false, used: 1, unused: false },
      { action: "read_file", granted: true, used: 0, unused: true },
      { action: "search_docs", granted: true, used: 0, unused: true },
      { action: "write_file", granted: true, used: 0, unused: true },
    ]);
    expect(answer.body.entitlements[0]).toMatchObject({ resource_types: [], last_used: server.clock.now().toISOString() });
    expect(answer.body.totals).toEqual({ granted: 3, used: 0, unused: 3 });
  });
});

/** The sample policies permit the support group's agent these four (search_docs to every principal); it used one. */
const EXPECTED = [
  { action: "query_customers", granted: true, used: 0, unused: true },
  { action: "read_file", granted: true, used: 0, unused: true },
  { action: "search_docs", granted: true, used: 1, unused: false },
  { action: "write_file", granted: true, used: 0, unused: true },
];
