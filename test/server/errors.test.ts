// Bad input, missing roles and an unwritable ledger: specific problem+json answers, never an allow.
import Database from "better-sqlite3";
import fc from "fast-check";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { STATUS_OF } from "../../src/server/index.js";
import { ERROR_CODES } from "../../src/record/index.js";
import { call, startTestServer, type TestServer } from "../support/server.js";
import { itOnSqlite } from "../support/data-dir.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ busyTimeoutMs: 200 });
});

const valid = () => ({ subject: { credential: server.keys["research-agent"] }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } });

describe("problem+json answers", () => {
  it("has an HTTP status for every error code", () => {
    expect(Object.keys(STATUS_OF).sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it.each([
    ["malformed JSON", "{not json", 400, "INVALID_JSON"],
    ["a body that is not an object", "[1,2]", 400, "REQUEST_INVALID"],
    ["a missing action", JSON.stringify({ subject: { id: "research-agent" }, resource: { type: "Tool", id: "x" } }), 400, "REQUEST_INVALID"],
    ["an unknown field", JSON.stringify({ subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "x" }, surprise: 1 }), 400, "REQUEST_INVALID"],
    ["an unknown action", JSON.stringify({ subject: { id: "research-agent" }, action: "launch_rockets", resource: { type: "Tool", id: "x" } }), 422, "UNKNOWN_ACTION"],
    ["a resource type the action does not apply to", JSON.stringify({ subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Dataset", id: "x" } }), 422, "UNKNOWN_RESOURCE_TYPE"],
    ["an oversized context", JSON.stringify({ subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "x" }, context: { blob: "x".repeat(70_000) } }), 413, "PAYLOAD_TOO_LARGE"],
    ["a too deeply nested context", JSON.stringify({ subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "x" }, context: { a: { b: { c: { d: { e: { f: { g: { h: { i: 1 } } } } } } } } } }), 400, "REQUEST_INVALID"],
  ])("answers %s with %i %s", async (_name, body, status, code) => {
    const answer = await call(server, "POST", "/v1/decisions", server.as.pep, body);
    expect(answer.status).toBe(status);
    expect(answer.contentType).toMatch(/application\/problem\+json/);
    expect(answer.body).toMatchObject({ status, code, type: `/problems/${code}` });
    expect(typeof answer.body.detail).toBe("string");
  });

  it("needs an operator credential (401) with the right role (403)", async () => {
    expect((await call(server, "POST", "/v1/decisions", { "content-type": "application/json" }, valid())).status).toBe(401);
    const wrongRole = await call(server, "POST", "/v1/decisions", { authorization: `Bearer ${server.keys["research-agent"]}`, "content-type": "application/json" }, valid());
    expect(wrongRole).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
    expect((await call(server, "GET", "/v1/decisions", server.as.pep)).status).toBe(403);
  });

  it("never answers 5xx to arbitrary request bodies", async () => {
    const base = valid();
    const body = fc.oneof(
      fc.anything(),
      fc.record({ subject: fc.anything(), action: fc.anything(), resource: fc.anything() }, { requiredKeys: [] }),
      fc.record({ subject: fc.constant(base.subject), action: fc.string(), resource: fc.record({ type: fc.string(), id: fc.string(), attributes: fc.dictionary(fc.string(), fc.jsonValue()) }) }),
      fc.record({ context: fc.dictionary(fc.string(), fc.jsonValue()), args: fc.jsonValue(), intent: fc.string() }).map((r) => ({ ...base, ...r })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (value) => {
        const payload = JSON.stringify(value) ?? "null";
        const answer = await server.app.inject({ method: "POST", url: "/v1/decisions", headers: server.as.pep, payload });
        expect(answer.statusCode, payload.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});

describe("fail closed", () => {
  itOnSqlite("answers DECISION_ERROR and allows nothing while the ledger cannot be written", async () => {
    const valid = () => ({ subject: { credential: server.keys["research-agent"] }, action: "read_file", resource: { type: "Tool", id: "fs/read_file", attributes: { server: "fs", sensitivity: "internal" } }, args: { path: "/workspace/a.md" } });
    const before = server.runtime.ledger.size();
    const blocker = new Database(join(server.dir, "arbiter.db"));
    blocker.pragma("busy_timeout = 0");
    blocker.prepare("BEGIN IMMEDIATE").run();
    try {
      const answer = await call(server, "POST", "/v1/decisions", server.as.pep, valid());
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ outcome: "error", reason_code: "DECISION_ERROR", code: "LEDGER_UNAVAILABLE" });
      expect(JSON.stringify(answer.body)).not.toMatch(/"allow"/);
    } finally {
      blocker.prepare("ROLLBACK").run();
      blocker.close();
    }
    expect(server.runtime.ledger.size()).toBe(before);
    const after = await call(server, "POST", "/v1/decisions", server.as.pep, valid());
    expect(after).toMatchObject({ status: 200, body: { outcome: "allow" } });
  });
});

describe("operations", () => {
  it("publishes an OpenAPI document, health and metrics", async () => {
    const openapi = await call<{ openapi: string; paths: Record<string, unknown> }>(server, "GET", "/openapi.json", {});
    expect(openapi.body.openapi).toMatch(/^3\./);
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(["/v1/decisions", "/v1/decisions/{id}", "/v1/approvals/{id}/approve", "/v1/log/proof/{index}"]));
    const health = await call(server, "GET", "/healthz", {});
    expect(health.body).toMatchObject({ status: "ok", ledger: { origin: "test.arbiter.example/ledger" } });
    const metrics = await call<string>(server, "GET", "/metrics", {});
    expect(metrics.body).toMatch(/arbiter_ledger_entries \d+/);
  });

  it("names every metric once with the arbiter_ prefix: arbiter_process_*, never arbiter_process_process_*", async () => {
    const metrics = await call<string>(server, "GET", "/metrics", {});
    const names = [...new Set(metrics.body.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2] ?? ""))];
    expect(names).toContain("arbiter_process_cpu_user_seconds_total");
    expect(names).toContain("arbiter_nodejs_eventloop_lag_seconds");
    expect(names.filter((n) => !n.startsWith("arbiter_") || /(process|nodejs)_\1/.test(n) || n.includes("process_process") || n.includes("nodejs_nodejs"))).toEqual([]);
  });
});
