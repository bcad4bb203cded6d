// The OCSF API Activity mapping of every kind of record, and of a leaf that is not a record.
import { describe, expect, it } from "vitest";
import { activityOf, knownKind, ocsfApiActivity, type OutgoingEntry } from "../../src/stream/index.js";

function entry(record: Record<string, unknown> | string, index = 7): OutgoingEntry {
  const data = Buffer.from(typeof record === "string" ? record : JSON.stringify(record));
  const parsed = typeof record === "string" ? undefined : record;
  return { index, data, leafHash: "ab".repeat(32), kind: knownKind(parsed?.kind), record: parsed };
}

const TIME = "2026-11-24T10:00:00.000Z";
const AGENT = { id: "research-agent", type: "agent", owner: "alice", credential: { id: "key-1", kind: "api_key" } };

describe("activities from actions", () => {
  it.each([
    ["read_file", 2, "Read"],
    ["GET", 2, "Read"],
    ["list-directory", 2, "Read"],
    ["create_issue", 1, "Create"],
    ["write_file", 3, "Update"],
    ["PATCH", 3, "Update"],
    ["delete_branch", 4, "Delete"],
    ["deploy", 99, "deploy"],
    ["", 99, ""],
  ])("%j is activity %i (%s)", (action, id, name) => {
    expect(activityOf(action)).toEqual({ id, name });
  });
});

describe("records as OCSF API Activity", () => {
  it("maps an enforcement result's status and the PEP that reported it", () => {
    const { event, attributes } = ocsfApiActivity(entry({ v: 1, id: "rec-2", time: TIME, kind: "enforcement", decision_id: "dec-1", pep: { id: "gw-1", kind: "mcp" }, status: "blocked", subject: AGENT, action: "write_file", resource: { id: "fs/write_file" } }), "o");
    expect(event).toMatchObject({ activity_id: 3, status_id: 2, status: "Failure", status_detail: "blocked", actor: { user: { uid: "research-agent", credential_uid: "key-1", org: { owner_uid: "alice" } }, app_name: "gw-1" }, src_endpoint: { uid: "gw-1", svc_name: "mcp" } });
    expect(attributes).toMatchObject({ "arbiter.decision_id": "dec-1", "arbiter.record.kind": "enforcement", "arbiter.ledger.index": 7 });
    expect(attributes["arbiter.reason_code"]).toBeUndefined();
  });

  it("names the approver of an approval and the actor of a lifecycle or policy change", () => {
    const approval = ocsfApiActivity(entry({ v: 1, id: "a", time: TIME, kind: "approval", request_id: "r", state: "approved", requester: AGENT, approver: "bob", action: "deploy", resource: { id: "prod" }, policy_set_version: "sha256:pv", expires_at: TIME }), "o");
    expect(approval.event).toMatchObject({ actor: { user: { uid: "bob" } }, api: { operation: "deploy" }, status_detail: "approved" });
    expect(approval.attributes["arbiter.policy_version"]).toBe("sha256:pv");
    const lifecycle = ocsfApiActivity(entry({ v: 1, id: "l", time: TIME, kind: "lifecycle", event: "revoked", identity: AGENT, actor: { id: "carol", type: "human" } }), "o");
    expect(lifecycle.event).toMatchObject({ activity_id: 99, activity_name: "lifecycle revoked", actor: { user: { uid: "carol" } }, api: { operation: "lifecycle.revoked" }, resources: [{ uid: "research-agent", type: "Identity" }] });
    const change = ocsfApiActivity(entry({ v: 1, id: "p", time: TIME, kind: "policy_change", from_version: null, to_version: "sha256:v2", actor: { id: "carol", type: "human" }, diff_hash: "sha256:d" }), "o");
    expect(change.event).toMatchObject({ resources: [{ uid: "sha256:v2", type: "PolicySet" }], actor: { user: { uid: "carol" } } });
    expect(change.attributes["arbiter.policy_version"]).toBe("sha256:v2");
  });

  it("sends a leaf that is not a record as it is, with an unknown kind and status, naming nothing from it", () => {
    const { event, attributes } = ocsfApiActivity(entry('{"kind":"decision.>","action":"x"'), "o");
    expect(event).toMatchObject({ class_uid: 6003, activity_id: 99, status_id: 0, status: "Unknown", time: 0, unmapped: { kind: "unknown" }, raw_data: '{"kind":"decision.>","action":"x"' });
    expect(attributes).toEqual({ "arbiter.ledger.index": 7, "arbiter.ledger.leaf_hash": "ab".repeat(32), "arbiter.record.kind": "unknown" });
  });
});
