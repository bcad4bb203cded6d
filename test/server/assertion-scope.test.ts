// A PEP may assert only the callers it is entitled to: outside its assertion scope (the caller named by
// subject.id, or a fresh MFA it vouches for) it is refused with 403 ASSERTION_OUT_OF_SCOPE, and the
// refusal is recorded naming the PEP as caller.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import type { CreateIdentityInput } from "../../src/identity/index.js";
import { arbiter } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
const headers: Record<string, Record<string, string>> = {};

/** PEPs with different scopes; `legacy` stands for a PEP created before scopes existed (none). */
const PEPS: CreateIdentityInput[] = [
  { id: "legacy-pep", type: "service_account", owner: "carol", roles: ["pep"] },
  { id: "agents-pep", type: "service_account", owner: "carol", roles: ["pep"], assertion_scope: { types: ["agent"], groups: ["oncall"], ids: ["alice"] } },
  { id: "mfa-pep", type: "service_account", owner: "carol", roles: ["pep"], assertion_scope: { ids: ["alice"], authentication: true } },
];

beforeAll(async () => {
  server = await startTestServer();
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const pep of PEPS) {
    await server.runtime.identities.create(pep, seeder);
    const { key } = await server.runtime.identities.issueApiKey(pep.id, seeder);
    headers[pep.id] = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  }
});

const search = (subject: Record<string, unknown>) => ({ subject, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } });
const rotate = (subject: Record<string, unknown>) => ({ subject, action: "rotate_secret", resource: { type: "Secret", id: "db-password", attributes: { environment: "production" } } });
const freshMfa = () => ({ authenticated_at: new Date(server.clock.now().getTime() - 60_000).toISOString(), acr: "mfa" });

function entry(index: number): Record<string, unknown> {
  return JSON.parse(server.runtime.ledger.entry(index).toString("utf8")) as Record<string, unknown>;
}

async function expectOutOfScope(pep: string, path: string, body: unknown, detail: RegExp): Promise<Record<string, unknown>> {
  const before = server.runtime.ledger.size();
  const answer = await call<{ ledger?: { index: number } } & Record<string, unknown>>(server, "POST", path, headers[pep] ?? {}, body);
  expect(answer.status).toBe(403);
  expect(answer.body).toMatchObject({ reason_code: "ASSERTION_OUT_OF_SCOPE" });
  expect(String(answer.body.detail ?? answer.body.note)).toMatch(detail);
  expect(server.runtime.ledger.size()).toBe(before + 1);
  return entry(before);
}

describe("the subject a PEP names by id", () => {
  it("refuses a PEP without a scope (the migrated default) and records who tried, for whom", async () => {
    const record = await expectOutOfScope("legacy-pep", "/v1/decisions", search({ id: "research-agent" }), /legacy-pep has no assertion scope/);
    expect(record).toMatchObject({
      kind: "decision",
      subject: { id: "research-agent", type: "unknown" },
      caller: { id: "legacy-pep", determined_by: "credential" },
      outcome: "deny",
      control: "access",
      reason_code: "ASSERTION_OUT_OF_SCOPE",
    });
  });

  it("still lets that PEP forward the caller's own credential", async () => {
    const answer = await call<Decision>(server, "POST", "/v1/decisions", headers["legacy-pep"] ?? {}, search({ credential: server.keys["research-agent"] }));
    expect(answer).toMatchObject({ status: 200, body: { outcome: "allow", subject: { id: "research-agent" } } });
  });

  it.each([
    ["an agent (by type)", "research-agent"],
    ["an on-call human (by group)", "dave"],
    ["alice (by id)", "alice"],
  ])("admits %s inside the scope", async (_what, id) => {
    const answer = await call<Decision>(server, "POST", "/v1/decisions", headers["agents-pep"] ?? {}, search({ id }));
    expect(answer.status).toBe(200);
    expect(answer.body.reason_code).not.toBe("ASSERTION_OUT_OF_SCOPE");
    expect(answer.body.subject.id).toBe(id);
  });

  it.each([
    ["a pipeline", "release-pipeline"],
    ["an approver", "bob"],
    ["the PEP's own owner", "carol"],
  ])("refuses %s outside the scope", async (_what, id) => {
    await expectOutOfScope("agents-pep", "/v1/decisions", search({ id }), new RegExp(`${id} is outside the assertion scope of agents-pep`));
  });

  it("answers an unknown id outside the scope as out of scope, so the PEP cannot probe which ids exist", async () => {
    const record = await expectOutOfScope("agents-pep", "/v1/decisions", search({ id: "nobody-here" }), /nobody-here is outside the assertion scope/);
    expect(record).toMatchObject({ subject: { id: "nobody-here", type: "unknown" }, reason_code: "ASSERTION_OUT_OF_SCOPE" });
  });

  it("does not tell a PEP that a suspended identity outside its scope is suspended", async () => {
    await server.runtime.identities.suspend("erin-pipeline", { id: "carol", type: "human" });
    await expectOutOfScope("agents-pep", "/v1/decisions", search({ id: "erin-pipeline" }), /outside the assertion scope/);
  });
});

describe("a fresh MFA the PEP vouches for", () => {
  it("refuses acr and authenticated_at from a PEP that may not assert authentication, although the subject is in scope", async () => {
    await expectOutOfScope("agents-pep", "/v1/decisions", rotate({ id: "alice", ...freshMfa() }), /agents-pep may not assert how the caller authenticated/);
  });

  it("refuses a user confirmation from that PEP, whatever form the subject takes", async () => {
    const confirmation = { method: "elicitation", confirmed_at: server.clock.now().toISOString() };
    await expectOutOfScope("agents-pep", "/v1/decisions", { ...search({ credential: server.keys["research-agent"] }), confirmation }, /may not assert how the caller authenticated/);
  });

  it("lets a PEP with authentication in its scope step alice up", async () => {
    const answer = await call<Decision>(server, "POST", "/v1/decisions", headers["mfa-pep"] ?? {}, rotate({ id: "alice", ...freshMfa() }));
    expect(answer).toMatchObject({ status: 200, body: { outcome: "allow", reason_code: "POLICY_PERMIT" } });
  });
});

describe("every route that takes an asserted subject", () => {
  it("refuses a break-glass for someone outside the scope, and opens no session", async () => {
    const record = await expectOutOfScope("legacy-pep", "/v1/breakglass", { subject: { id: "dave" }, justification: "INC-9: nothing is on fire", duration_seconds: 600 }, /legacy-pep has no assertion scope/);
    expect(record).toMatchObject({ kind: "decision", action: "break_glass", reason_code: "ASSERTION_OUT_OF_SCOPE", caller: { id: "legacy-pep" } });
    expect(server.runtime.breakGlass.activeFor("dave", server.clock.now())).toBeUndefined();
  });

  it("refuses a listing for someone outside the scope and records an event", async () => {
    const record = await expectOutOfScope("agents-pep", "/v1/visibility", { subject: { id: "bob" }, candidates: [] }, /bob is outside the assertion scope/);
    expect(record).toMatchObject({ kind: "event", subject: { id: "agents-pep" }, action: "POST /v1/visibility", resource: { id: "bob", type: "asserted_subject" }, reason_code: "ASSERTION_OUT_OF_SCOPE" });
  });

  it("refuses a recorded refusal that names someone outside the scope", async () => {
    const refusal = { subject: { id: "bob" }, action: "http:GET", resource: { type: "HttpPath", id: "/x" }, reason_code: "NO_ROUTE", note: "no route", pep: { id: "edge", kind: "http" } };
    const record = await expectOutOfScope("agents-pep", "/v1/refusals", refusal, /bob is outside/);
    expect(record).toMatchObject({ subject: { id: "bob", type: "unknown" }, reason_code: "ASSERTION_OUT_OF_SCOPE" });
  });
});

describe("setting a scope", () => {
  it("is an admin's change through the API, recorded with what it replaced, and refused to anyone else", async () => {
    const scope = { types: ["pipeline"], groups: [], ids: [], authentication: false };
    const agent = { authorization: `Bearer ${server.keys["research-agent"] ?? ""}`, "content-type": "application/json" };
    expect((await call(server, "PATCH", "/v1/identities/legacy-pep", agent, { assertion_scope: scope })).status).toBe(403);
    expect((await call(server, "PATCH", "/v1/identities/legacy-pep", headers["legacy-pep"] ?? {}, { assertion_scope: scope })).status).toBe(403);
    expect((await call(server, "PATCH", "/v1/identities/legacy-pep", server.as.admin, { assertion_scope: { types: ["robot"] } })).status).toBe(400);
    const before = server.runtime.ledger.size();
    const updated = await call(server, "PATCH", "/v1/identities/legacy-pep", server.as.admin, { assertion_scope: scope });
    expect(updated).toMatchObject({ status: 200, body: { assertion_scope: scope } });
    expect(entry(before)).toMatchObject({ kind: "lifecycle", event: "updated", identity: { id: "legacy-pep" }, attributes: { previous: { assertion_scope: null } } });
    const answer = await call<Decision>(server, "POST", "/v1/decisions", headers["legacy-pep"] ?? {}, search({ id: "release-pipeline" }));
    expect(answer.status).toBe(200);
  });

  it("is set, merged part by part and shown by the CLI", () => {
    const created = arbiter(["identity", "create", "--data", server.dir, "--actor", "carol", "--id", "edge-pep", "--type", "service_account", "--owner", "carol", "--role", "pep", "--assert-type", "agent", "--assert-group", "oncall"]);
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/asserts: +types agent; groups oncall; authentication no/);
    const updated = arbiter(["identity", "update", "edge-pep", "--data", server.dir, "--actor", "carol", "--assert-authentication", "--json"]);
    expect(updated.status).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ assertion_scope: { types: ["agent"], groups: ["oncall"], ids: [], authentication: true } });
    const shown = arbiter(["identity", "show", "edge-pep", "--data", server.dir]);
    expect(shown.stdout).toMatch(/asserts: +types agent; groups oncall; authentication yes/);
    const cleared = arbiter(["identity", "update", "edge-pep", "--data", server.dir, "--actor", "carol", "--clear-assertion-scope"]);
    expect(cleared.stdout).toMatch(/asserts: +- \(names no caller by subject.id\)/);
    const bad = arbiter(["identity", "update", "edge-pep", "--data", server.dir, "--actor", "carol", "--assert-type", "robot"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/assertion_scope\.types/);
  });
});
