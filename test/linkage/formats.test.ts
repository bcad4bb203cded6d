// Real formats, written to their published schemas, imported and joined to real decisions.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../src/record/index.js";
import { accessLine, FIXTURES, makeWorld, type World } from "./world.js";
import { TEST_CALLER } from "../support/server.js";

let world: World;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

beforeAll(async () => {
  world = await makeWorld();
  await world.runtime.identities.create({ id: "system:serviceaccount:payments:report-bot", type: "service_account", owner: "alice" }, world.seeder);
});

const fixture = (...path: string[]) => readFileSync(join(FIXTURES, ...path), "utf8");
type Imported = Extract<StoredRecord, { kind: "imported" }>;

describe("AWS CloudTrail", () => {
  it("links a records file (gzip) by the decision id in the SDK's user agent, and tells denials from bypasses", async () => {
    const decision = await world.decide({ as: "support-agent", action: "s3:GetObject", resource: { type: "CloudObject", id: "arn:aws:s3:::exports/customers.csv" } });
    const text = fixture("cloudtrail", "111122223333_CloudTrail_us-east-1_20261124T1000Z_sample.json").replace("DECISION_ID", decision.decision_id);
    const path = join(world.files, "111122223333_CloudTrail_us-east-1_20261124T1000Z_sample.json.gz");
    writeFileSync(path, gzipSync(text));
    const summary = await world.link(path, "cloudtrail");
    expect(summary).toMatchObject({
      items: 4,
      events: 3,
      linked: 1,
      unlinked: 1,
      unlinked_denied: 1,
      by_key: { decision_id: 1 },
      findings: { UNLINKED_ACTION: 1 },
      ignored: { "cloudtrail AWS service event": 1 },
      files: [{ encoding: "gzip, utf-8", items: 4 }],
    });
    const events = world.linkage.events(summary.run_id);
    expect(events.map((e) => [e.line, e.action, e.subject, e.resource, e.outcome])).toEqual([[1, "s3:GetObject", "support-agent", "arn:aws:s3:::exports/customers.csv", "allow"]]);
    expect(events[0]).toMatchObject({ seq: 1, decision_id: decision.decision_id, key: "decision_id", confidence: 1, event_id: "3038ebd2-c98a-4c65-9b6e-e22506292313", system: "cloudtrail" });
    expect(world.linkage.findings(summary.run_id).map((f) => [f.code, f.line, f.subject_id])).toEqual([["UNLINKED_ACTION", 2, "support-agent"]]);
  });

  it("cross-checks log files against a digest file and reports what it cannot verify", async () => {
    const dir = join(world.files, "trail");
    const log = fixture("cloudtrail", "111122223333_CloudTrail_us-east-1_20261124T1000Z_sample.json");
    const { mkdirSync } = await import("node:fs");
    const { createHash } = await import("node:crypto");
    mkdirSync(join(dir, "CloudTrail-Digest"), { recursive: true });
    writeFileSync(join(dir, "good.json.gz"), gzipSync(log));
    writeFileSync(join(dir, "tampered.json"), log.replace("customers.csv", "customers.csv.bak"));
    const sha = createHash("sha256").update(log).digest("hex");
    const digest = JSON.parse(fixture("cloudtrail", "digest-template.json")) as { logFiles: Record<string, string>[] };
    const entry = digest.logFiles[0] as Record<string, string>;
    digest.logFiles = [{ ...entry, s3Object: entry.s3Object?.replace("LOG_FILE_NAME", "good.json.gz") ?? "", hashValue: sha }, { ...entry, s3Object: "x/tampered.json", hashValue: sha }, { ...entry, s3Object: "x/missing.json.gz", hashValue: sha }];
    writeFileSync(join(dir, "CloudTrail-Digest", "digest.json"), JSON.stringify(digest));
    const summary = await world.link(dir, "cloudtrail");
    expect(summary.cloudtrail_digests).toMatchObject({
      digests: 1,
      structure_problems: [],
      log_files_listed: 3,
      verified: ["good.json.gz"],
      hash_mismatch: ["tampered.json"],
      not_provided: ["missing.json.gz"],
      not_in_any_digest: [],
    });
    expect(summary.cloudtrail_digests?.signature).toMatch(/^not verified/);
    expect(summary.ignored).toMatchObject({ cloudtrail_digest: 1 });
  });
});

describe("Kubernetes audit log", () => {
  it("joins a service account's read by subject+action+resource, ignores intermediate stages and the control plane", async () => {
    world.clock.set("2026-11-24T10:01:50.000Z");
    const decision = await world.runtime.engine.decide({ subject: { id: "system:serviceaccount:payments:report-bot" }, action: "get", resource: { type: "K8sObject", id: "payments/db-password" } }, TEST_CALLER);
    expect(decision.outcome).toBe("allow");
    const summary = await world.link(join(FIXTURES, "k8s", "audit.jsonl"), "k8s");
    expect(summary).toMatchObject({ items: 5, events: 3, linked: 1, unlinked: 1, unlinked_denied: 1, by_key: { subject_action_resource: 1 }, ignored: { "k8s stage RequestReceived": 1, "k8s control-plane user": 1 } });
    const [bot, ...others] = world.linkage.events(summary.run_id);
    expect(bot).toMatchObject({ decision_id: decision.decision_id, action: "get", resource: "payments/db-password", key: "subject_action_resource", confidence: 0.7, event_id: "7e0a0c2e-3b57-4a2b-9d3c-2f6b1a8e4c01", line: 2 });
    expect(others).toEqual([]);
    expect(world.linkage.findings(summary.run_id).map((f) => [f.code, f.line, f.subject_id])).toEqual([["UNLINKED_ACTION", 3, "release-pipeline"]]);
  });
});

describe("OCSF API Activity", () => {
  it("joins by the traceparent header and skips other OCSF classes", async () => {
    world.clock.set("2026-11-24T09:59:59.000Z");
    const decision = await world.decide({ as: "support-agent", action: "secretsmanager:GetSecretValue", resource: { type: "CloudObject", id: "arn:aws:secretsmanager:us-east-1:111122223333:secret:crm-api" }, correlation: { trace_id: TRACE } });
    const path = world.write("ocsf.jsonl", fixture("ocsf", "api-activity.jsonl").trim().replace("TRACE_ID", TRACE).replace("CRED_ID", world.keys["support-agent"]?.id ?? "").split("\n"));
    const summary = await world.link(path, "ocsf");
    expect(summary).toMatchObject({ events: 2, linked: 1, unlinked_denied: 1, skipped: { wrong_format: 1 }, by_key: { trace_id: 1 } });
    expect(world.linkage.events(summary.run_id)[0]).toMatchObject({ decision_id: decision.decision_id, key: "trace_id", confidence: 0.9, trace_id: TRACE, time: "2026-11-24T10:00:00.000Z" });
    expect(world.linkage.report(summary.run_id).skipped[0]).toMatchObject({ line: 3, reason: "wrong_format" });
    expect(world.linkage.report(summary.run_id).skipped[0]?.message).toMatch(/class_uid 3002 is not API Activity/);
  });
});

describe("OPA decision logs", () => {
  let ours = "";
  it("imports decisions as another engine's, with mapped outcomes and reasons, kept policy path and bundle revision", async () => {
    world.clock.set("2026-11-24T10:04:59.000Z");
    ours = (await world.decide({ as: "support-agent", action: "GET /v1/orders", resource: { type: "Order", id: "4711" }, correlation: { trace_id: TRACE.replace("4b", "5c") } })).decision_id;
    const path = world.write("opa.json", [fixture("opa", "decisions.json").replace("TRACE_ID", TRACE.replace("4b", "5c"))]);
    const summary = await world.link(path, "opa");
    expect(summary).toMatchObject({ events: 0, foreign_decisions: { imported: 3, already_in_ledger: 0, corroborated: 1 }, findings_total: 0 });
    const imported = world.records("imported").filter((r): r is Imported => r.kind === "imported" && r.source.system === "opa");
    expect(imported.map((r) => [r.subject.id, r.action, r.resource.id, r.outcome, r.reason_code])).toEqual([
      ["support-agent", "GET /v1/orders/4711", "/v1/orders/4711", "allow", "POLICY_PERMIT"],
      ["research-agent", "refund", "4711", "deny", "POLICY_FORBID"],
      ["support-agent", "export", "customers", "deny", "NO_MATCHING_PERMIT"],
    ]);
    expect(imported[0]).toMatchObject({
      source: { system: "opa", id: "4ca636c1-55e4-417a-b1d8-4aceb67960d1", file: "opa.json", line: 1 },
      policy: { engine: "opa", set_version: "authz@W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d", determining: ["orders/authz/allow"], bundle_revision: "W3sibCI6InN5cy9jYXRhbG9nIiwicyI6NDA3MX1d" },
      original_time: "2026-11-24T10:05:00.123Z",
      correlation: { trace_id: TRACE.replace("4b", "5c"), span_id: "00f067aa0ba902b7" },
    });
    expect(world.linkage.imported(summary.run_id).map((i) => i.ours)).toEqual([{ decision_id: ours, key: "trace_id", confidence: 0.6 }, null, null]);
    const again = await world.link(path, "opa");
    expect(again.foreign_decisions).toEqual({ imported: 0, already_in_ledger: 3, corroborated: 1 });
  });

  it("reads console decision-log lines: a false result, an evaluation error, and server lines ignored", async () => {
    const summary = await world.link(join(FIXTURES, "opa", "console.jsonl"), "opa");
    expect(summary).toMatchObject({ foreign_decisions: { imported: 2 }, ignored: { "opa server log line": 1 } });
    const imported = world.records("imported").filter((r): r is Imported => r.kind === "imported" && r.attributes?.run_id === summary.run_id);
    expect(imported.map((r) => [r.outcome, r.reason_code, r.policy?.bundle_revision])).toEqual([["deny", "NO_MATCHING_PERMIT", "rev-42"], ["error", "DECISION_ERROR", undefined]]);
  });

  it("tells the story of one request decided by Arbiter and OPA, and the app's log line", async () => {
    const trace = TRACE.replace("4b", "5c");
    const log = world.write("orders-access.jsonl", [accessLine({ time: "2026-11-24T10:05:00.500Z", subject: "support-agent", action: "GET /v1/orders", resource: "4711", trace })]);
    const summary = await world.link(log, "jsonl");
    expect(world.linkage.events(summary.run_id)[0]).toMatchObject({ decision_id: ours, key: "trace_id", confidence: 0.9 });
    const story = world.linkage.trace(trace);
    expect(story.map((s) => [s.kind, s.by])).toEqual([["decision", "arbiter"], ["imported", "opa"], ["outside_event", "orders-access.jsonl"]]);
  });
});
