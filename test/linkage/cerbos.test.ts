// Cerbos decision logs produced by the real Cerbos binary (file audit backend), imported and joined to an app's log.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMapping } from "../../src/linkage/index.js";
import type { StoredRecord } from "../../src/record/index.js";
import { ROOT } from "../support/cli.js";
import { FIXTURES, makeWorld, type World } from "./world.js";
import { freePort } from "../support/net.js";

const CERBOS = join(ROOT, "node_modules", "@cerbos", "cerbos-linux-x64", "cerbos-linux-x64");
const VIEW_TRACE = "0af7651916cd43dd8448eb211c80319c";
const DELETE_TRACE = "1bf7651916cd43dd8448eb211c80319d";

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await Promise.resolve(fn()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let world: World;
let cerbos: ChildProcess | undefined;
let auditLog = "";
let url = "";
const calls: Record<string, string> = {};

async function check(principal: string, kind: string, id: string, action: string, trace?: string): Promise<string> {
  const response = await fetch(`${url}/api/check/resources`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(trace ? { traceparent: `00-${trace}-b7ad6b7169203331-01` } : {}) },
    body: JSON.stringify({ requestId: `${principal}-${action}`, principal: { id: principal, roles: ["agent"] }, resources: [{ resource: { kind, id }, actions: [action] }] }),
  });
  const body = (await response.json()) as { cerbosCallId: string };
  return body.cerbosCallId;
}

describe.skipIf(!existsSync(CERBOS))("Cerbos audit decision logs from the real binary", () => {
  beforeAll(async () => {
    world = await makeWorld();
    const [http, grpc] = [await freePort(), await freePort()];
    auditLog = join(world.files, "cerbos-audit.log");
    const config = join(world.files, "cerbos.yaml");
    writeFileSync(config, [
      "server:",
      `  httpListenAddr: "127.0.0.1:${http}"`,
      `  grpcListenAddr: "127.0.0.1:${grpc}"`,
      "storage:",
      "  driver: disk",
      "  disk:",
      `    directory: ${JSON.stringify(join(FIXTURES, "cerbos", "policies"))}`,
      "    watchForChanges: false",
      "audit:",
      "  enabled: true",
      "  accessLogsEnabled: true",
      "  decisionLogsEnabled: true",
      "  includeMetadataKeys: ['traceparent']",
      "  backend: file",
      "  file:",
      `    path: ${JSON.stringify(auditLog)}`,
      "telemetry:",
      "  disabled: true",
      "",
    ].join("\n"));
    cerbos = spawn(CERBOS, ["server", `--config=${config}`, "--log-level=error"], { env: { ...process.env, CERBOS_NO_TELEMETRY: "1" }, stdio: "ignore" });
    url = `http://127.0.0.1:${http}`;
    await until("cerbos to be healthy", async () => ((await fetch(`${url}/_cerbos/health`)).ok ? true : undefined));
    calls.view = await check("support-agent", "invoice", "inv-1", "view", VIEW_TRACE);
    calls.delete = await check("research-agent", "invoice", "inv-2", "delete", DELETE_TRACE);
    calls.refund = await check("support-agent", "payment", "p-1", "refund");
    await until("three decision entries", () => {
      const text = existsSync(auditLog) ? readFileSync(auditLog, "utf8") : "";
      return (text.match(/"log.kind":"decision"/g) ?? []).length >= 3 ? true : undefined;
    });
  });

  afterAll(async () => {
    if (cerbos && cerbos.exitCode === null) {
      const exited = new Promise((resolve) => cerbos?.once("exit", resolve));
      cerbos.kill("SIGTERM");
      await exited;
    }
  });

  it("imports each decided action as a decision of Cerbos, mapped onto Arbiter's outcomes and reasons", async () => {
    const summary = await world.link(auditLog, "cerbos");
    expect(summary).toMatchObject({ events: 0, skipped_total: 0, foreign_decisions: { imported: 3 }, ignored: { "cerbos access log entry": 3 } });
    const inLedger = world.records("imported").filter((r): r is Extract<StoredRecord, { kind: "imported" }> => r.kind === "imported");
    // Imported in the audit log's order, which is not always the order of the calls: Cerbos's file
    // backend writes its entries from a buffer, and two calls a millisecond apart can swap.
    const logged = readFileSync(auditLog, "utf8").split("\n").filter((line) => line.includes('"log.kind":"decision"')).map((line) => (JSON.parse(line) as { callId: string }).callId);
    expect(inLedger.map((r) => r.source.id)).toEqual(logged);
    const imported = [...inLedger].sort((a, b) => a.resource.id.localeCompare(b.resource.id));
    expect(imported.map((r) => [r.source.id, r.subject.id, r.action, r.resource, r.outcome, r.reason_code, r.policy?.determining])).toEqual([
      [calls.view, "support-agent", "view", { id: "inv-1", type: "invoice" }, "allow", "POLICY_PERMIT", ["resource.invoice.vdefault"]],
      [calls.delete, "research-agent", "delete", { id: "inv-2", type: "invoice" }, "deny", "POLICY_FORBID", ["resource.invoice.vdefault"]],
      [calls.refund, "support-agent", "refund", { id: "p-1", type: "payment" }, "deny", "NO_MATCHING_PERMIT", []],
    ]);
    expect(imported[0]).toMatchObject({ policy: { engine: "cerbos", set_version: "resource.invoice.vdefault" }, correlation: { trace_id: VIEW_TRACE, span_id: "b7ad6b7169203331" } });
    expect(imported[2]?.policy).toMatchObject({ set_version: "cerbos:disk", determining: [] });
  });

  it("links the app's own log to Cerbos's decisions by trace and by call id, and finds the delete Cerbos denied", async () => {
    const mapping = parseMapping(readFileSync(join(FIXTURES, "jsonl", "billing-mapping.yaml"), "utf8"), "billing-mapping.yaml");
    const now = new Date().toISOString();
    const log = world.write("billing.jsonl", [
      { ts: now, log_id: "b-1", caller: { id: "support-agent" }, op: "view", target: { order: "inv-1" }, result: "ok", ctx: { traceparent: `00-${VIEW_TRACE}-b7ad6b7169203331-01` } },
      { ts: now, log_id: "b-2", caller: { id: "research-agent" }, op: "delete", target: { order: "inv-2" }, result: "ok", ctx: { "x-arbiter-decision-id": calls.delete } },
    ]);
    const summary = await world.link(log, "jsonl", { mapping, window: 3600 });
    expect(summary).toMatchObject({ events: 2, linked: 2, by_key: { trace_id: 1, decision_id: 1 }, findings: { EXECUTED_DESPITE_DENY: 1 } });
    const [finding] = world.linkage.findings(summary.run_id);
    expect(finding).toMatchObject({ code: "EXECUTED_DESPITE_DENY", line: 2, evidence: { engine: "cerbos", decision_outcome: "deny", decision_reason: "POLICY_FORBID", key: "decision_id", confidence: 0.95 } });
    expect(world.linkage.trace(VIEW_TRACE).map((s) => [s.kind, s.by, s.outcome])).toEqual([["imported", "cerbos", "allow"], ["outside_event", "billing.jsonl", "executed"]]);
  });
});
