// The sample policies' approval flow works at any hour, and `arbiter decide --at` shows the time
// rules without making a decision: nothing recorded, no approval opened, no limit used.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, ROOT, tempDir } from "../support/cli.js";

const data = join(tempDir(), "data");
// Who acts is named by the environment, as in CI, so every command (with or without --actor) can tell.
const env = { ARBITER_ACTOR: "tester", USER: "tester" };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return arbiter([...args, "--data", data], { env });
}

function ledgerSize(): number {
  return (JSON.parse(run(["log", "checkpoint", "--json"]).stdout) as { size: number }).size;
}

const deploy = (tier: string) => ["decide", "--subject", "release-pipeline", "--action", "deploy", "--resource", `Environment::${tier}`, "--resource-attr", `tier=${tier}`];

interface Answer {
  outcome: string;
  reason_code: string;
  decision_id?: string;
  approval_request?: { id: string };
  what_if?: { at: string; recorded: boolean };
  policy: { determining: string[] };
}

beforeAll(() => {
  expect(arbiter(["init", "--data", data]).status).toBe(0);
  expect(run(["policy", "activate", join(ROOT, "examples", "policies")]).status).toBe(0);
  for (const args of [["--id", "alice", "--type", "human"], ["--id", "bob", "--type", "human", "--role", "approver", "--group", "release-approver"], ["--id", "release-pipeline", "--type", "pipeline", "--owner", "alice", "--group", "release-pipelines"]]) {
    const created = run(["identity", "create", ...args]);
    expect(created.status, created.stderr).toBe(0);
  }
});

describe("the sample policies at any time", () => {
  // A Saturday night, a Friday evening, a Tuesday morning and a Monday before dawn: the gate is the same.
  it.each(["2025-01-11T23:30:00Z", "2025-01-10T20:00:00Z", "2025-01-07T10:00:00Z", "2025-01-06T03:00:00+01:00"])("a production deploy at %s waits for an approval", (at) => {
    const answer = run([...deploy("production"), "--at", at, "--json"]);
    expect(answer.status).toBe(1);
    expect(JSON.parse(answer.stdout)).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED", what_if: { at: new Date(at).toISOString(), recorded: false } });
  });

  it("shows the deploy window with --at, marked as a what-if, and records nothing", () => {
    const before = ledgerSize();
    const saturday = run([...deploy("staging"), "--at", "2025-01-11T10:00:00Z"]);
    expect(saturday.status).toBe(1);
    expect(saturday.stdout).toMatch(/^what-if at 2025-01-11T10:00:00\.000Z: deny OUTSIDE_TIME_WINDOW \(usage\)/);
    expect(saturday.stdout).toMatch(/not a decision: nothing recorded/);
    const tuesday = JSON.parse(run([...deploy("staging"), "--at", "2025-01-07T10:00:00Z", "--json"]).stdout) as Answer;
    expect(tuesday).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT", policy: { determining: ["pipelines-deploy"] } });
    expect(tuesday.decision_id).toBeUndefined();
    // A what-if of a gated call opens no approval request, so there is nothing to approve.
    expect(JSON.parse(run([...deploy("production"), "--at", "2025-01-07T10:00:00Z", "--json"]).stdout)).not.toHaveProperty("approval_request");
    expect(ledgerSize()).toBe(before);
    expect((JSON.parse(run(["approvals", "list", "--json"]).stdout) as { approvals: unknown[] }).approvals).toEqual([]);
  });

  it("runs the README's approval flow now, whatever the day: APPROVAL_REQUIRED, approve, APPROVAL_GRANTED once", () => {
    const held = JSON.parse(run([...deploy("production"), "--json"]).stdout) as Answer;
    expect(held).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
    expect(held.what_if).toBeUndefined();
    const approved = run(["approvals", "approve", held.approval_request?.id ?? "", "--as", "bob", "--justification", "CAB-118"]);
    expect(approved.status, approved.stderr).toBe(0);
    const allowed = JSON.parse(run([...deploy("production"), "--json"]).stdout) as Answer;
    expect(allowed).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED" });
    expect(JSON.parse(run([...deploy("production"), "--json"]).stdout)).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
  });

  it("refuses a time it cannot read", () => {
    for (const at of ["tomorrow", "2025-01-11", "2025-01-11T10:00:00", "2025-13-40T10:00:00Z"]) {
      const answer = run([...deploy("staging"), "--at", at]);
      expect(answer.status).toBe(2);
      expect(answer.stderr).toMatch(/--at must be an RFC 3339 time such as 2026-11-01T00:00:00Z, now, or a duration back from now/);
    }
  });
});
