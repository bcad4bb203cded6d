// Each finding from a scenario that really happens: decisions made, keys rotated and revoked, approvals given, then logs replayed.
import { beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../src/record/index.js";
import { accessLine, makeWorld, plus, type World } from "./world.js";

let world: World;

beforeAll(async () => {
  world = await makeWorld();
});

type Finding = Extract<StoredRecord, { kind: "finding" }>;

function findingsOf(runId: string): Finding[] {
  return world.records("finding").filter((r): r is Finding => r.kind === "finding" && r.run_id === runId);
}

const readExports = { action: "s3:GetObject", resource: { type: "CloudObject", id: "arn:aws:s3:::exports/customers.csv" } };

describe("findings from real scenarios", () => {
  it("links an executed call to its decision and finds nothing wrong", async () => {
    const decision = await world.decide({ as: "support-agent", ...readExports });
    expect(decision.outcome).toBe("allow");
    const log = world.write("clean.jsonl", [accessLine({ time: decision.time, subject: "support-agent", action: "s3:GetObject", resource: readExports.resource.id, decision: decision.decision_id, key: world.keys["support-agent"]?.id })]);
    const summary = await world.link(log, "jsonl");
    expect(summary).toMatchObject({ events: 1, linked: 1, coverage: 1, findings_total: 0, by_key: { decision_id: 1 } });
    const links = world.records("link").filter((r) => r.kind === "link" && r.run_id === summary.run_id);
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ links: [{ decision_id: decision.decision_id, key: "decision_id", confidence: 1, outcome: "executed", line: 1 }] });
  });

  it("UNLINKED_ACTION: a call no decision explains", async () => {
    const log = world.write("bypass.jsonl", [accessLine({ time: world.clock.now().toISOString(), subject: "support-agent", action: "s3:DeleteObject", resource: "arn:aws:s3:::exports/all.csv" })]);
    const summary = await world.link(log, "jsonl");
    expect(summary).toMatchObject({ events: 1, linked: 0, unlinked: 1, findings: { UNLINKED_ACTION: 1 } });
    const [finding] = findingsOf(summary.run_id);
    expect(finding).toMatchObject({ reason_code: "UNLINKED_ACTION", control: "access", action: "s3:DeleteObject", evidence: { keys_tried: ["subject_action_resource"], window_seconds: 60 } });
  });

  it("UNLINKED_ACTION names a decision id the ledger does not hold", async () => {
    const log = world.write("forged.jsonl", [accessLine({ time: world.clock.now().toISOString(), subject: "support-agent", action: "GET /v1/orders", resource: "order-1", decision: "01a00000-0000-7000-8000-000000000000" })]);
    const summary = await world.link(log, "jsonl");
    expect(findingsOf(summary.run_id)[0]?.evidence).toMatchObject({ keys_tried: ["decision_id", "subject_action_resource"], unknown_decision_id: "01a00000-0000-7000-8000-000000000000" });
  });

  it("EXECUTED_DESPITE_DENY: the service ran a call Arbiter denied", async () => {
    const denied = await world.decide({ as: "research-agent", action: "s3:DeleteObject", resource: { type: "CloudObject", id: "arn:aws:s3:::exports/customers.csv" } });
    expect(denied).toMatchObject({ outcome: "deny", reason_code: "NO_MATCHING_PERMIT" });
    const log = world.write("despite.jsonl", [accessLine({ time: plus(denied.time, 1), subject: "research-agent", action: "s3:DeleteObject", resource: "arn:aws:s3:::exports/customers.csv", decision: denied.decision_id, status: 204 })]);
    const summary = await world.link(log, "jsonl");
    expect(summary).toMatchObject({ linked: 1, findings: { EXECUTED_DESPITE_DENY: 1 } });
    expect(findingsOf(summary.run_id)[0]).toMatchObject({
      decision_id: denied.decision_id,
      evidence: { decision_outcome: "deny", decision_reason: "NO_MATCHING_PERMIT", engine: "arbiter", event_outcome: "executed", key: "decision_id" },
    });
    // The refused call itself, logged as refused, is no finding.
    const refused = world.write("refused.jsonl", [accessLine({ time: plus(denied.time, 1), subject: "research-agent", action: "s3:DeleteObject", resource: "arn:aws:s3:::exports/customers.csv", decision: denied.decision_id, status: 403 })]);
    expect((await world.link(refused, "jsonl")).findings_total).toBe(0);
  });

  it("CREDENTIAL_ROTATED_AT_USE: the old key used after rotation (and not during its grace)", async () => {
    const oldKey = world.keys["support-agent"]?.id as string;
    const before = await world.decide({ as: "support-agent", ...readExports });
    const rotatedAt = world.clock.now().toISOString();
    await world.runtime.identities.rotateApiKey("support-agent", world.seeder, { graceSeconds: 60 });
    const lines = [
      accessLine({ time: plus(rotatedAt, 30), subject: "support-agent", action: "s3:GetObject", resource: readExports.resource.id, key: oldKey, decision: before.decision_id, id: "in-grace" }),
      accessLine({ time: plus(rotatedAt, 600), subject: "support-agent", action: "s3:GetObject", resource: readExports.resource.id, key: oldKey, id: "after-grace" }),
    ];
    const summary = await world.link(world.write("rotated.jsonl", lines), "jsonl");
    expect(summary.findings).toMatchObject({ CREDENTIAL_ROTATED_AT_USE: 1 });
    const finding = findingsOf(summary.run_id).find((f) => f.reason_code === "CREDENTIAL_ROTATED_AT_USE");
    expect(finding).toMatchObject({ event: { id: "after-grace", source: { line: 2 } }, subject: { credential: { id: oldKey, kind: "api_key" } } });
    expect(finding?.evidence).toMatchObject({ credential_id: oldKey, rotated_at: rotatedAt, grace_until: plus(rotatedAt, 60), margin_ms: 540_000, near_boundary: false });
  });

  it("CREDENTIAL_REVOKED_AT_USE: a revoked key replayed upstream, with the skew tolerance at the boundary", async () => {
    const key = world.keys["research-agent"]?.id as string;
    const revokedAt = world.clock.now().toISOString();
    await world.runtime.identities.revokeCredential(key, world.seeder, "leaked in a CI log");
    const event = (seconds: number, id: string) => accessLine({ time: plus(revokedAt, seconds), subject: "research-agent", action: "GET /v1/orders", resource: "order-9", key, id });
    const summary = await world.link(world.write("revoked.jsonl", [event(-30, "before"), event(3, "within-skew"), event(7, "near"), event(3600, "late")]), "jsonl");
    expect(summary.findings.CREDENTIAL_REVOKED_AT_USE).toBe(2);
    expect(summary.within_skew).toBe(1);
    const found = findingsOf(summary.run_id).filter((f) => f.reason_code === "CREDENTIAL_REVOKED_AT_USE");
    expect(found.map((f) => [f.event.id, f.evidence.margin_ms, f.evidence.near_boundary])).toEqual([["near", 7000, true], ["late", 3_600_000, false]]);
    expect(found[0]?.note).toMatch(/close to the 5 s clock-skew tolerance/);
  });

  it("USED_AFTER_TASK_COMPLETED: a task's token replayed upstream after the task was completed (not also reported as revoked)", async () => {
    const issued = await world.runtime.identities.issueToken("support-agent", { task: "ticket-77", ttlSeconds: 3600 }, world.seeder);
    const completedAt = world.clock.now().toISOString();
    await world.runtime.identities.completeTask("ticket-77", world.seeder, "ticket closed");
    const key = issued.credential.id;
    const event = (seconds: number, id: string) => accessLine({ time: plus(completedAt, seconds), subject: "support-agent", action: "GET /v1/orders", resource: "order-10", key, id });
    const summary = await world.link(world.write("task.jsonl", [event(-60, "during-task"), event(120, "after-task")]), "jsonl");
    expect(summary.findings).toMatchObject({ USED_AFTER_TASK_COMPLETED: 1 });
    expect(summary.findings.CREDENTIAL_REVOKED_AT_USE).toBeUndefined();
    const [found] = findingsOf(summary.run_id).filter((f) => f.reason_code === "USED_AFTER_TASK_COMPLETED");
    expect(found).toMatchObject({ event: { id: "after-task" }, evidence: { credential_id: key, task: "ticket-77", task_completed_at: completedAt, margin_ms: 120_000 } });
    expect(found?.note).toMatch(/issued for task ticket-77, completed at /);
  });

  it("APPROVAL_SCOPE_MISMATCH and GRANT_EXPIRED_AT_USE: a refund approved for one amount, executed with another, late and twice", async () => {
    const refund = { action: "refund", resource: { type: "Order", id: "order-4711" }, args: { amount: 120 } };
    const held = await world.decide({ as: "support-agent", ...refund });
    expect(held).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
    const bob = world.runtime.identities.get("bob");
    if (!bob) throw new Error("bob missing");
    const { grant } = await world.runtime.engine.approvals.approve(held.approval_request?.id as string, bob, "duplicate charge on 4711");
    const allowed = await world.decide({ as: "support-agent", ...refund });
    expect(allowed).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED", grant: { id: grant.id } });
    const line = (seconds: number, amount: number, id: string) =>
      accessLine({ time: plus(allowed.time, seconds), subject: "support-agent", action: "refund", resource: "order-4711", decision: allowed.decision_id, args: { amount }, id });
    const summary = await world.link(world.write("refunds.jsonl", [line(2, 1200, "changed-amount"), line(3, 120, "replayed"), line(1000, 120, "late")]), "jsonl");
    expect(summary).toMatchObject({ linked: 3, findings: { APPROVAL_SCOPE_MISMATCH: 1, GRANT_EXPIRED_AT_USE: 2 } });
    const found = findingsOf(summary.run_id);
    const mismatch = found.find((f) => f.reason_code === "APPROVAL_SCOPE_MISMATCH");
    expect(mismatch?.evidence).toMatchObject({ differs: ["arguments"], approval_request_id: held.approval_request?.id, grant_id: grant.id, approved: { args_digest: allowed.args_digest } });
    const expired = found.filter((f) => f.reason_code === "GRANT_EXPIRED_AT_USE").map((f) => [f.event.id, f.evidence]);
    expect(expired).toEqual([
      ["replayed", expect.objectContaining({ used_up: true, first_use: { file: "refunds.jsonl", line: 1 } })],
      ["late", expect.objectContaining({ expires_at: grant.expiresAt, margin_ms: 1000_000 - 900_000 })],
    ]);
  });

  it("IDENTITY_WITHOUT_OWNER: an agent whose owner was revoked acts, once per identity however often", async () => {
    const decision = await world.decide({ as: "orphan-agent", ...readExports });
    expect(decision.outcome).toBe("allow");
    await world.runtime.identities.revoke("frank", world.seeder, "left the company");
    const at = world.clock.now().toISOString();
    const lines = [1, 2, 3].map((i) => accessLine({ time: plus(at, i), subject: "orphan-agent", action: "s3:GetObject", resource: readExports.resource.id, key: world.keys["orphan-agent"]?.id, id: `o-${i}` }));
    const summary = await world.link(world.write("orphan.jsonl", lines), "jsonl");
    expect(summary.findings.IDENTITY_WITHOUT_OWNER).toBe(1);
    const finding = findingsOf(summary.run_id).find((f) => f.reason_code === "IDENTITY_WITHOUT_OWNER");
    expect(finding?.evidence).toMatchObject({ identity_id: "orphan-agent", known_to_arbiter: true, why: "its owner frank is revoked", events: 3 });
  });

  it("shows the findings next to the decision they concern (decision_id in the record index)", async () => {
    const denied = await world.decide({ as: "support-agent", action: "s3:DeleteObject", resource: { type: "CloudObject", id: "arn:aws:s3:::exports/x" } });
    const summary = await world.link(world.write("explain.jsonl", [accessLine({ time: denied.time, subject: "support-agent", action: "s3:DeleteObject", resource: "arn:aws:s3:::exports/x", decision: denied.decision_id })]), "jsonl");
    expect(summary.findings.EXECUTED_DESPITE_DENY).toBe(1);
    const explained = world.runtime.decisions.explain(denied.decision_id);
    expect(explained.related.map((r) => [r.record.kind, "reason_code" in r.record ? r.record.reason_code : undefined])).toContainEqual(["finding", "EXECUTED_DESPITE_DENY"]);
  });
});
