// One realistic, valid input per record kind, shared by the record tests.
import type { RecordInput, RecordKind } from "../../src/record/index.js";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

export const EXAMPLES = {
  decision: {
    kind: "decision",
    subject: {
      id: "agent-7",
      type: "agent",
      owner: "alice@example.com",
      groups: ["research"],
      credential: { id: "key_01", kind: "api_key", expires_at: "2026-12-01T00:00:00Z" },
    },
    delegation: [
      { id: "agent-planner", type: "agent", on_behalf_of: "alice@example.com" },
      { id: "alice@example.com", type: "human" },
    ],
    action: "tools/call:web_search",
    resource: { id: "mcp://search/web_search", type: "tool", sensitivity: "internal", owner_system: "search" },
    pep: { id: "mcp-gw-1", kind: "mcp" },
    outcome: "allow",
    control: "masking",
    reason_code: "DATA_MASKED",
    note: "Search results are returned with e-mail addresses masked.",
    policy: { set_version: digest("a"), determining: ["research-search", "mask-pii"], engine: "arbiter" },
    obligations: [
      { type: "mask", fields: ["$.results[*].email"], detectors: ["email"] },
      { type: "rate", remaining: 41, reset_at: "2026-11-25T10:01:00Z" },
    ],
    correlation: {
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      span_id: "00f067aa0ba902b7",
      task_id: "task-88",
    },
    sensitive: { args: { query: "quarterly numbers for ACME" } },
  },
  enforcement: {
    kind: "enforcement",
    decision_id: "01936f4e-8a2b-7c3d-9e4f-5a6b7c8d9e0f",
    pep: { id: "mcp-gw-1", kind: "mcp" },
    status: "executed",
    upstream: { status: 200 },
    masked: { fields: ["$.results[0].email", "$.results[3].email"], detectors: { email: 2 } },
    duration_ms: 184.5,
  },
  approval: {
    kind: "approval",
    request_id: "apr-20261125-0007",
    state: "approved",
    requester: { id: "agent-billing", type: "agent", owner: "team-billing" },
    approver: "bob@example.com",
    action: "payments/refund",
    resource: { id: "order-4711", type: "order", sensitivity: "confidential" },
    args_digest: digest("b"),
    policy_set_version: digest("a"),
    expires_at: "2026-11-25T11:00:00Z",
    justification: "Customer was charged twice for order 4711.",
  },
  grant: {
    kind: "grant",
    grant_id: "grant-31",
    state: "issued",
    subject: { id: "agent-billing", type: "agent" },
    action: "payments/refund",
    resource: { id: "order-4711" },
    args_digest: digest("b"),
    approval_request_id: "apr-20261125-0007",
    uses_remaining: 1,
    expires_at: "2026-11-25T10:15:00Z",
  },
  lifecycle: {
    kind: "lifecycle",
    event: "rotated",
    identity: { id: "svc-billing", type: "service_account", owner: "team-billing" },
    actor: { id: "rotation-job", type: "workload" },
    credential: { id: "key_02", kind: "api_key", issued_at: "2026-11-25T09:59:00Z", expires_at: "2027-02-23T00:00:00Z" },
    note: "Scheduled 90-day rotation.",
  },
  policy_change: {
    kind: "policy_change",
    from_version: null,
    to_version: digest("c"),
    actor: { id: "carol@example.com", type: "human" },
    diff_hash: digest("d"),
    note: "Initial policy set.",
  },
  imported: {
    kind: "imported",
    source: { system: "opa", id: "4ca636c1-55e4-417a-b1d8-4aceb67960d1", file: "decisions.ndjson", line: 17 },
    subject: { id: "svc-reports", type: "unknown" },
    action: "GET /v1/invoices",
    resource: { id: "/v1/invoices" },
    outcome: "deny",
    reason_code: "NO_MATCHING_PERMIT",
    policy: { set_version: "bundle-rev-7", determining: [], engine: "opa", bundle_revision: "7" },
    original_time: "2026-11-25T09:58:12.345678Z",
  },
  event: {
    kind: "event",
    source: "ci",
    subject: { id: "deploy-bot", type: "pipeline" },
    action: "deploy",
    resource: { id: "prod" },
    outcome: "allow",
  },
} satisfies { [K in RecordKind]: RecordInput & { kind: K } };

/** The smallest line `arbiter log append` accepts, as documented. */
export const SMALLEST_LINE =
  '{"kind":"event","source":"ci","subject":{"id":"deploy-bot","type":"pipeline"},"action":"deploy","resource":{"id":"prod"},"outcome":"allow"}';
