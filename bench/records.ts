// The record the ledger benchmarks append: shaped like a decision, one in ten a denial.

export function decisionLike(i: number): Record<string, unknown> {
  return {
    kind: "decision",
    subject: { id: `agent-${i % 100}`, type: "agent", owner: "alice@example.com" },
    action: "tools/call:read_file",
    resource: { id: `fs/docs/${i}.md`, type: "file" },
    outcome: i % 10 === 0 ? "deny" : "allow",
    control: "access",
    reason_code: i % 10 === 0 ? "POLICY_FORBID" : "POLICY_PERMIT",
    note: i % 10 === 0 ? "Agents may not read restricted files." : "Agents may read project docs.",
    policy: { set_version: "sha256:8d3f", determining: ["docs-read"] },
    correlation: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" },
  };
}
