// How MCP operations map onto decision requests: resources, hints, intent and correlation from _meta.
import { describe, expect, it } from "vitest";
import { correlationOf, type Caller } from "../../../src/enforce/mcp/index.js";
import { toolCandidate, toolRequest } from "../../../src/enforce/mcp/mapping.js";

const caller: Caller = { credential: "arb_x", server: "files", pep: { id: "mcp-stdio:files", kind: "mcp" }, session: "stdio" };
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

describe("correlation from _meta", () => {
  it.each<[string, Record<string, unknown> | undefined, Record<string, string>]>([
    ["a W3C traceparent", { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }, { trace_id: TRACE, span_id: "00f067aa0ba902b7" }],
    ["a future version with extra fields", { traceparent: `01-${TRACE}-00f067aa0ba902b7-01-extra` }, { trace_id: TRACE, span_id: "00f067aa0ba902b7" }],
    ["version ff (invalid)", { traceparent: `ff-${TRACE}-00f067aa0ba902b7-01` }, {}],
    ["an all-zero trace id (invalid)", { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` }, {}],
    ["uppercase hex (invalid)", { traceparent: `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01` }, {}],
    ["a task and a parent decision", { "arbiter/task_id": "task-9", "arbiter/parent_decision_id": "01a212e3-591d-729e-b0cb-3c9b4d3a094a" }, { task_id: "task-9", parent_decision_id: "01a212e3-591d-729e-b0cb-3c9b4d3a094a" }],
    ["garbage", { "arbiter/task_id": 5, "arbiter/parent_decision_id": "not an id", traceparent: ["x"] }, {}],
  ])("%s", (_what, meta, expected) => {
    expect(correlationOf(meta, "stdio", 7)).toEqual({ ...expected, request_id: "stdio:7" });
  });
});

describe("tool calls", () => {
  it("name the tool as the action and <server>/<tool> as the resource, with the upstream's hints or MCP's defaults", () => {
    const request = toolRequest(caller, "write_file", { path: "/w/a" }, { name: "write_file", inputSchema: { type: "object" }, annotations: { readOnlyHint: false, destructiveHint: false } }, { "arbiter/intent": "tidy the notes" }, 3);
    expect(request).toEqual({
      subject: { credential: "arb_x" },
      pep: { id: "mcp-stdio:files", kind: "mcp" },
      correlation: { request_id: "stdio:3" },
      intent: "tidy the notes",
      action: "write_file",
      resource: { type: "Tool", id: "files/write_file", attributes: { server: "files", read_only: false, destructive: false, idempotent: false, open_world: true } },
      args: { path: "/w/a" },
    });
    expect(toolCandidate({ ...caller, sensitivity: "restricted" }, { name: "rm", inputSchema: { type: "object" } }).resource.attributes).toEqual({ server: "files", read_only: false, destructive: true, idempotent: false, open_world: true, sensitivity: "restricted" });
  });
});
