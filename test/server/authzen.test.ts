// OpenID AuthZEN 1.0 through the real server: one evaluation, a batch with defaults and each evaluation
// semantic, the metadata document, and what a PEP that should not ask gets. Every answer names its record.
import { beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../src/record/index.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});

interface Answer {
  decision: boolean;
  context?: { id?: string; reason_code?: string; outcome?: string; approval_request?: string; error?: { status: number; message: string }; reason_admin?: { en: string }; obligations?: unknown[] };
}

const agent = (id: string) => ({ type: "agent", id });
const readFile = (path: string) => ({ action: { name: "read_file", properties: { path } }, resource: { type: "Tool", id: "filesystem/read_file", properties: { server: "filesystem", sensitivity: "internal" } } });

function recorded(id: string | undefined): Extract<StoredRecord, { kind: "decision" }> {
  expect(typeof id).toBe("string");
  return server.runtime.decisions.find(id as string).record as Extract<StoredRecord, { kind: "decision" }>;
}

describe("POST /access/v1/evaluation", () => {
  it("decides one evaluation, durable and named in the answer, and echoes X-Request-ID", async () => {
    const response = await fetch(`${server.url}/access/v1/evaluation`, {
      method: "POST",
      headers: { ...server.as.pep, "x-request-id": "bfe9eb29-ab87-4ca3", traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      body: JSON.stringify({ subject: agent("research-agent"), ...readFile("/workspace/notes.md") }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("x-request-id")).toBe("bfe9eb29-ab87-4ca3");
    const answer = (await response.json()) as Answer;
    expect(answer).toMatchObject({ decision: true, context: { reason_code: "POLICY_PERMIT", outcome: "allow" } });
    expect(recorded(answer.context?.id)).toMatchObject({ outcome: "allow", action: "read_file", subject: { id: "research-agent" }, pep: { id: "gateway", kind: "api" }, caller: { id: "gateway" }, correlation: { request_id: "bfe9eb29-ab87-4ca3", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" } });
  });

  it("answers a deny, an approval and an allow under a mask obligation with decision false and says why", async () => {
    const deny = (await call<Answer>(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: agent("research-agent"), ...readFile("/etc/passwd") })).body;
    expect(deny).toMatchObject({ decision: false, context: { outcome: "deny" } });
    const approval = (await call<Answer>(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: { type: "pipeline", id: "release-pipeline" }, action: { name: "deploy" }, resource: { type: "Environment", id: "production", properties: { tier: "production" } } })).body;
    expect(approval).toMatchObject({ decision: false, context: { reason_code: "APPROVAL_REQUIRED", approval_request: expect.stringMatching(/^apr_/) as unknown } });
    const masked = (await call<Answer>(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: agent("support-agent"), action: { name: "query_customers" }, resource: { type: "Dataset", id: "crm", properties: { classification: "internal" } } })).body;
    expect(masked).toMatchObject({ decision: false, context: { outcome: "allow", reason_code: "DATA_MASKED" } });
    expect(masked.context?.obligations).toHaveLength(1);
    const related = server.runtime.decisions.explain(masked.context?.id as string).related.map((r) => r.record);
    expect(related).toContainEqual(expect.objectContaining({ kind: "enforcement", status: "blocked" }));
  });

  it("refuses and records an evaluation the engine cannot decide as asked", async () => {
    const unknown = (await call<Answer>(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: agent("nobody-here"), ...readFile("/workspace/a") })).body;
    expect(unknown).toMatchObject({ decision: false, context: { reason_code: "UNKNOWN_PRINCIPAL", outcome: "deny" } });
    expect(recorded(unknown.context?.id).reason_code).toBe("UNKNOWN_PRINCIPAL");
    const action = (await call<Answer>(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: agent("research-agent"), action: { name: "launch_rockets" }, resource: { type: "Tool", id: "x" } })).body;
    expect(action).toMatchObject({ decision: false, context: { error: { status: 400 } } });
    expect(recorded(action.context?.id)).toMatchObject({ outcome: "error", reason_code: "DECISION_ERROR" });
  });

  it.each([
    ["no credential", {}, 401],
    ["an agent's own key (no pep role)", { authorization: "" }, 403],
  ])("refuses a PEP with %s", async (_, headers, status) => {
    const h: Record<string, string> = "authorization" in headers ? { authorization: `Bearer ${server.keys["research-agent"] ?? ""}` } : {};
    const answer = await call(server, "POST", "/access/v1/evaluation", { "content-type": "application/json", ...h }, { subject: agent("research-agent"), ...readFile("/workspace/a") });
    expect(answer.status).toBe(status);
  });

  it("refuses a malformed request whole with 400 problem+json", async () => {
    const answer = await call(server, "POST", "/access/v1/evaluation", server.as.pep, { subject: { id: "research-agent" }, action: { name: "read_file" } });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toContain("application/problem+json");
  });
});

describe("POST /access/v1/evaluations", () => {
  const three = {
    subject: agent("research-agent"),
    action: { name: "read_file", properties: { path: "/workspace/a.md" } },
    resource: { type: "Tool", id: "filesystem/read_file", properties: { server: "filesystem", sensitivity: "internal" } },
    evaluations: [{}, { action: { name: "read_file", properties: { path: "/etc/shadow" } } }, { action: { name: "search_docs" }, resource: { type: "Tool", id: "docs/search", properties: { server: "docs" } } }],
  };

  it("applies top-level defaults that an item's own member replaces whole, answering in request order", async () => {
    const answer = (await call<{ evaluations: Answer[] }>(server, "POST", "/access/v1/evaluations", server.as.pep, three)).body;
    expect(answer.evaluations.map((e) => e.decision), JSON.stringify(answer)).toEqual([true, false, true]);
    expect(answer.evaluations.map((e) => recorded(e.context?.id).action)).toEqual(["read_file", "read_file", "search_docs"]);
  });

  it.each([
    ["deny_on_first_deny", [true, false]],
    ["permit_on_first_permit", [true]],
    ["execute_all", [true, false, true]],
  ])("%s stops where the specification says", async (semantic, decisions) => {
    const answer = (await call<{ evaluations: Answer[] }>(server, "POST", "/access/v1/evaluations", server.as.pep, { ...three, options: { evaluations_semantic: semantic } })).body;
    expect(answer.evaluations.map((e) => e.decision)).toEqual(decisions);
  });

  it("without evaluations is one evaluation", async () => {
    const { evaluations: _, ...single } = three;
    const answer = (await call<Answer>(server, "POST", "/access/v1/evaluations", server.as.pep, single)).body;
    expect(answer).toMatchObject({ decision: true });
  });

  it("answers an item missing a member after the defaults as that item's error, and refuses an oversized batch", async () => {
    const answer = (await call<{ evaluations: Answer[] }>(server, "POST", "/access/v1/evaluations", server.as.pep, { subject: agent("research-agent"), evaluations: [{ action: { name: "search_docs" } }] })).body;
    expect(answer.evaluations[0]).toMatchObject({ decision: false, context: { error: { status: 400, message: expect.stringContaining("no resource") as unknown } } });
    const flood = await call(server, "POST", "/access/v1/evaluations", server.as.pep, { ...three, evaluations: Array.from({ length: 101 }, () => ({})) });
    expect(flood.status).toBe(400);
  });
});

describe("GET /.well-known/authzen-configuration", () => {
  it("names this PDP and its endpoints under the URL it was fetched from", async () => {
    const answer = await call<Record<string, string>>(server, "GET", "/.well-known/authzen-configuration", {});
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ policy_decision_point: server.url, access_evaluation_endpoint: `${server.url}/access/v1/evaluation`, access_evaluations_endpoint: `${server.url}/access/v1/evaluations` });
  });
});
