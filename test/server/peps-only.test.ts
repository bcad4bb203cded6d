// Only enforcement points decide: an operator without the `pep` role is refused (403, recorded), and every
// decision record names the authenticated caller beside the PEP label its body claims.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { arbiter } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

const search = () => ({ subject: { credential: server.keys["research-agent"] }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } });

function entry(index: number): Record<string, unknown> {
  return JSON.parse(server.runtime.ledger.entry(index).toString("utf8")) as Record<string, unknown>;
}

/** The newest record of the ledger. */
function last(): Record<string, unknown> {
  return entry(server.runtime.ledger.size() - 1);
}

describe("only pep identities reach the decision routes", () => {
  it.each([
    ["POST", "/v1/decisions", "/v1/decisions", () => search()],
    ["POST", "/v1/breakglass", "/v1/breakglass", () => ({ subject: { id: "dave" }, justification: "INC-7: staging database is down", duration_seconds: 600 })],
    ["POST", "/v1/visibility", "/v1/visibility", () => ({ subject: { id: "research-agent" }, candidates: [] })],
    ["POST", "/v1/decisions/01KB0000000000000000000000/enforcement", "/v1/decisions/:id/enforcement", () => ({ status: "executed", pep: { id: "forged", kind: "http" } })],
  ])("refuses an admin without pep: %s %s → 403 FORBIDDEN, and records the refusal", async (method, path, route, body) => {
    const before = server.runtime.ledger.size();
    const answer = await call(server, method, path, server.as.admin, body());
    expect(answer.status).toBe(403);
    expect(answer.contentType).toMatch(/application\/problem\+json/);
    expect(answer.body).toMatchObject({ code: "FORBIDDEN", reason_code: "ROLE_REQUIRED" });
    expect(answer.body.detail).toMatch(/carol needs the role pep/);
    expect(server.runtime.ledger.size()).toBe(before + 1);
    expect(last()).toMatchObject({
      kind: "event",
      source: "arbiter",
      subject: { id: "carol", type: "human", credential: { kind: "api_key" } },
      action: `${method} ${route}`,
      outcome: "deny",
      control: "access",
      reason_code: "ROLE_REQUIRED",
    });
  });

  it("refuses an agent's own key on POST /v1/decisions the same way", async () => {
    const agent = { authorization: `Bearer ${server.keys["research-agent"] ?? ""}`, "content-type": "application/json" };
    const answer = await call(server, "POST", "/v1/decisions", agent, search());
    expect(answer).toMatchObject({ status: 403, body: { code: "FORBIDDEN", reason_code: "ROLE_REQUIRED" } });
    expect(last()).toMatchObject({ kind: "event", subject: { id: "research-agent" }, reason_code: "ROLE_REQUIRED" });
  });
});

describe("the record names who asked", () => {
  it("carries the authenticated PEP as caller beside the label the body claims", async () => {
    const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, { ...search(), pep: { id: "not-really-the-gateway", kind: "http" } });
    expect(answer.status).toBe(200);
    const record = entry(answer.body.ledger.index);
    const credential = server.runtime.identities.credentials("gateway")[0];
    expect(record).toMatchObject({
      kind: "decision",
      pep: { id: "not-really-the-gateway", kind: "http" },
      caller: { id: "gateway", type: "service_account", determined_by: "credential", credential: { id: credential?.id, kind: "api_key" } },
    });
  });

  it("carries the caller of a break-glass attempt", async () => {
    const answer = await call<{ ledger: { index: number } }>(server, "POST", "/v1/breakglass", server.as.pep, { subject: { id: "dave" }, justification: "INC-8: the deploy pipeline is wedged", duration_seconds: 600 });
    expect(answer.status).toBe(201);
    expect(entry(answer.body.ledger.index)).toMatchObject({ kind: "decision", action: "break_glass", caller: { id: "gateway", determined_by: "credential" } });
  });

  it("carries the local account for `arbiter decide`, and how it was determined", () => {
    const asEnv = arbiter(["decide", "--data", server.dir, "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs/search", "--json"], { env: { ARBITER_ACTOR: "ops-oncall" } });
    expect(asEnv.stderr).toBe("");
    const decided = JSON.parse(asEnv.stdout) as Decision;
    expect(entry(decided.ledger.index)).toMatchObject({ pep: { id: "arbiter-cli", kind: "cli" }, caller: { id: "ops-oncall", type: "human", determined_by: "actor_env" } });
    const asFlag = arbiter(["decide", "--data", server.dir, "--actor", "carol", "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs/search", "--json"], { env: { ARBITER_ACTOR: "ops-oncall" } });
    const flagged = JSON.parse(asFlag.stdout) as Decision;
    expect(entry(flagged.ledger.index)).toMatchObject({ caller: { id: "carol", type: "human", determined_by: "actor_flag" } });
    const asAccount = arbiter(["decide", "--data", server.dir, "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs/search", "--json"], { env: { ARBITER_ACTOR: "", USER: "" } });
    expect(asAccount.stderr).toBe("");
    const byAccount = JSON.parse(asAccount.stdout) as Decision;
    expect(entry(byAccount.ledger.index)).toMatchObject({ caller: { determined_by: "os_account" } });
  });

  it("names the operator and its credential as the caller of an identity change or a break-glass end through the API", async () => {
    const credential = server.runtime.identities.credentials("carol")[0];
    const created = await call(server, "POST", "/v1/identities", server.as.admin, { id: "api-made", type: "human" });
    expect(created.status).toBe(201);
    expect(last()).toMatchObject({ kind: "lifecycle", actor: { id: "carol", type: "human" }, caller: { id: "carol", determined_by: "credential", credential: { id: credential?.id, kind: "api_key" } } });

    // dave's session from the test above, or one opened here when this test runs alone.
    const listed = await call<{ sessions: { id: string; active: boolean }[] }>(server, "GET", "/v1/breakglass?identity=dave", server.as.admin);
    let open = listed.body.sessions.find((s) => s.active)?.id;
    if (open === undefined) {
      const opened = await call<{ session: { id: string } }>(server, "POST", "/v1/breakglass", server.as.pep, { subject: { id: "dave" }, justification: "INC-9: the release train is stuck", duration_seconds: 600 });
      open = opened.body.session.id;
    }
    expect((await call(server, "POST", `/v1/breakglass/${open}/end`, server.as.admin, {})).status).toBe(200);
    expect(last()).toMatchObject({ kind: "event", action: "break_glass_end", subject: { id: "carol", type: "human" }, caller: { id: "carol", determined_by: "credential" } });
  });
});
