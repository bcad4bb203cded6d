// The linkage API: a run over events sent inline, its results for the console, its HTML report and a trace story.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
let decision: Decision;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

beforeAll(async () => {
  server = await startTestServer();
  const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, {
    subject: { credential: server.keys["research-agent"] },
    action: "read_file",
    resource: { type: "Tool", id: "filesystem/read_file" },
    args: { path: "/workspace/notes.md" },
    correlation: { trace_id: TRACE },
  });
  decision = answer.body;
});

const line = (fields: Record<string, unknown>) => JSON.stringify({ time: decision.time, subject: "research-agent", action: "read_file", resource: "filesystem/read_file", status: 200, ...fields });

describe("POST /v1/linkage/runs", () => {
  it("links inline JSON lines and answers 201 with the run and its summary", async () => {
    const events = [line({ "x-arbiter-decision-id": decision.decision_id }), line({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }), line({ subject: "<script>alert(1)</script>", action: "write_file" }), "{not json"].join("\n");
    const answer = await call<{ run_id: string; summary: Record<string, unknown> }>(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "jsonl", events, source: "agent-gateway access log" });
    expect(answer.status).toBe(201);
    expect(answer.body.summary).toMatchObject({ source: "agent-gateway access log", events: 3, linked: 2, findings: { UNLINKED_ACTION: 1 }, skipped: { invalid_json: 1 } });
    const runId = answer.body.run_id;

    const listed = await call<{ runs: { id: string }[] }>(server, "GET", "/v1/linkage/runs", server.as.admin);
    expect(listed.body.runs[0]?.id).toBe(runId);

    const run = await call<{ run: { status: string }; findings: { code: string; line: number }[]; events: { seq: number; key: string; decision_id: string; ledger_index: number }[]; next_events_after: number | null; skipped: { line: number }[] }>(server, "GET", `/v1/linkage/runs/${runId}?events_limit=1`, server.as.admin);
    expect(run.body.run.status).toBe("done");
    expect(run.body.findings.map((f) => [f.code, f.line])).toEqual([["UNLINKED_ACTION", 3]]);
    expect(run.body.events.map((e) => [e.seq, e.key, e.decision_id])).toEqual([[1, "decision_id", decision.decision_id]]);
    expect(run.body.next_events_after).toBe(1);
    expect(run.body.skipped).toEqual([expect.objectContaining({ line: 4, reason: "invalid_json" })]);
    const next = await call<{ events: { seq: number; key: string; ledger_index: number }[] }>(server, "GET", `/v1/linkage/runs/${runId}?events_after=1`, server.as.admin);
    expect(next.body.events.map((e) => [e.seq, e.key])).toEqual([[2, "trace_id"]]);
    const proof = await call<string>(server, "GET", `/v1/log/proof/${next.body.events[0]?.ledger_index ?? -1}`, server.as.admin);
    expect(proof.body).toMatch(/^c2sp\.org\/tlog-proof@v1\n/);

    const html = await call<string>(server, "GET", `/v1/linkage/runs/${runId}/report.html`, server.as.admin);
    expect(html.contentType).toMatch(/^text\/html/);
    expect(html.body).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html.body).not.toContain("<script>");
    expect(html.body).not.toMatch(/(src|href)="http/);

    const story = await call<{ steps: { kind: string }[] }>(server, "GET", `/v1/linkage/traces/${TRACE}`, server.as.admin);
    expect(story.body.steps.map((s) => s.kind)).toEqual(["decision", "outside_event"]);
  });

  it("takes events as a JSON array with a mapping object", async () => {
    const answer = await call<{ summary: { linked: number } }>(server, "POST", "/v1/linkage/runs", server.as.admin, {
      format: "jsonl",
      events: [{ when: decision.time, who: "research-agent", what: "read_file", on: "filesystem/read_file", d: decision.decision_id }],
      mapping: { system: "notes-app", fields: { time: "when", subject: "who", action: "what", resource: "on", decision_id: "d" } },
    });
    expect(answer).toMatchObject({ status: 201, body: { summary: { linked: 1, files: [{ file: "inline" }] } } });
  });

  it("takes a principal map, as YAML text or as an object, and refuses a bad one", async () => {
    const event = { kind: "Event", apiVersion: "audit.k8s.io/v1", auditID: "8d1e3f5a-7b9c-4d2e-8f4a-6b8c0d2e4f61", stage: "ResponseComplete", verb: "get", user: { username: "system:serviceaccount:ci:ghost" }, objectRef: { resource: "configmaps", namespace: "ci", name: "cache" }, responseStatus: { code: 200 }, requestReceivedTimestamp: decision.time };
    const run = async (principal_map?: unknown) => (await call<{ summary: { findings: Record<string, number> } }>(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "k8s", events: [event], ...(principal_map !== undefined ? { principal_map } : {}) })).body;
    expect((await run()).summary.findings).toEqual({ UNLINKED_ACTION: 1, IDENTITY_WITHOUT_OWNER: 1 });
    expect((await run({ principals: { "system:serviceaccount:ci:ghost": "research-agent" } })).summary.findings).toEqual({ UNLINKED_ACTION: 1 });
    expect((await run('principals:\n  "system:serviceaccount:ci:*": research-agent\n')).summary.findings).toEqual({ UNLINKED_ACTION: 1 });
    expect(await run({ principals: { x: "not an id" } })).toMatchObject({ status: 400, code: "REQUEST_INVALID", detail: expect.stringMatching(/^principal_map: principals\.x: an Arbiter identity id/) as unknown });
    expect(await run("principals: {x: y")).toMatchObject({ status: 400, code: "REQUEST_INVALID", detail: expect.stringMatching(/^principal_map is not YAML or JSON/) as unknown });
  });

  it("refuses operators without the auditor or admin role, and bad bodies", async () => {
    expect((await call(server, "POST", "/v1/linkage/runs", server.as.pep, { format: "jsonl", events: "{}" })).body).toMatchObject({ code: "FORBIDDEN" });
    expect((await call(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "syslog", events: "{}" })).body).toMatchObject({ status: 400, code: "REQUEST_INVALID" });
    expect((await call(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "jsonl", events: "{}", mapping: { fields: { time: "t" } } })).body).toMatchObject({ status: 400, code: "REQUEST_INVALID" });
    expect((await call(server, "GET", "/v1/linkage/runs/lnk_nope", server.as.admin)).body).toMatchObject({ status: 404, code: "NOT_FOUND" });
  });
});
