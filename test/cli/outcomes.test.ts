// Each time-independent outcome of the sample policies through `arbiter decide`, each record proven.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { verifierFromVkey, verifyInclusionProofText } from "../../src/ledger/index.js";
import { prepareDemo } from "../../src/runtime/demo.js";
import { arbiter, tempDir } from "../support/cli.js";

const data = join(tempDir(), "data");

beforeAll(async () => {
  await prepareDemo(data);
});

const tool = ["--resource", "Tool::filesystem/read_file", "--resource-attr", "server=filesystem", "--resource-attr", "sensitivity=internal"];

const CASES: [string, string[], Record<string, unknown>][] = [
  ["POLICY_PERMIT", ["--subject", "research-agent", "--action", "read_file", ...tool, "--args", '{"path":"/workspace/a.md"}'], { outcome: "allow", control: "access", policy: { determining: ["agents-read-workspace"] } }],
  ["NO_MATCHING_PERMIT", ["--subject", "support-agent", "--action", "delete_records", "--resource", "Dataset::crm", "--resource-attr", "classification=internal"], { outcome: "deny", control: "access", policy: { determining: [] } }],
  ["POLICY_FORBID", ["--subject", "research-agent", "--action", "read_file", ...tool, "--args", '{"path":"/workspace/.env"}'], { outcome: "deny", policy: { determining: ["no-credential-files"] } }],
  ["INTENT_MISMATCH", ["--subject", "research-agent", "--action", "write_file", ...tool, "--args", '{"path":"/workspace/a.md"}', "--intent", "read-only survey"], { outcome: "deny", control: "usage", policy: { determining: ["read-only-intent"] } }],
  ["DATA_MASKED", ["--subject", "support-agent", "--action", "query_customers", "--resource", "Dataset::crm", "--resource-attr", "classification=internal"], { outcome: "allow", control: "masking", policy: { determining: ["support-query-customers"] } }],
  ["STEP_UP_REQUIRED", ["--subject", "alice", "--action", "rotate_secret", "--resource", "Secret::db", "--resource-attr", "environment=production"], { outcome: "challenge", control: "step_up", step_up: { max_auth_age: 300, acr: "mfa" } }],
];

describe("arbiter decide, outcome by outcome", () => {
  it.each(CASES)("records %s with its note and determining policies, and proves it", (reason, args, expected) => {
    const result = arbiter(["decide", ...args, "--json", "--data", data]);
    const decision = JSON.parse(result.stdout) as { reason_code: string; note: string; outcome: string; ledger: { index: number }; decision_id: string };
    expect(decision).toMatchObject({ reason_code: reason, ...expected });
    expect(decision.note.length).toBeGreaterThan(10);
    expect(result.status).toBe(decision.outcome === "allow" ? 0 : 1);

    const index = String(decision.ledger.index);
    const entry = arbiter(["log", "entry", index, "--data", data]).stdoutBytes;
    expect(JSON.parse(entry.toString("utf8"))).toMatchObject({ kind: "decision", id: decision.decision_id, reason_code: reason, note: decision.note });
    const proof = arbiter(["log", "prove", index, "--data", data]).stdout;
    const vkey = arbiter(["log", "vkey", "--data", data]).stdout.trim();
    expect(verifyInclusionProofText(proof, entry, verifierFromVkey(vkey)).index).toBe(decision.ledger.index);
  });
});
