// End to end through the real CLI: validate, test, diff, activate, show and versions of policy sets.
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, ROOT, tempDir } from "../support/cli.js";

const EXAMPLES = join(ROOT, "examples", "policies");
const MINIMAL = join(ROOT, "test", "fixtures", "policy", "minimal");
const FAILING = join(ROOT, "test", "fixtures", "policy", "failing-cases.yaml");
const work = tempDir();
const data = join(work, "data");

beforeAll(() => {
  expect(arbiter(["init", "--data", data, "--origin", "policy.arbiter.example/log"]).status).toBe(0);
});

function json<T = Record<string, unknown>>(args: string[]): T {
  const result = arbiter([...args, "--json"]);
  expect(result.stderr).toBe("");
  return JSON.parse(result.stdout) as T;
}

describe("arbiter policy validate", () => {
  it("prints the version and counts of a valid set", () => {
    const result = arbiter(["policy", "validate", EXAMPLES]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^valid: .*examples\/policies\nversion: sha256:[0-9a-f]{64}\npolicies: 12 \(7 permit, 5 forbid\)\nlimits: 2\n$/);
  });

  it("defaults to ./policies", () => {
    const cwd = join(work, "project");
    cpSync(MINIMAL, join(cwd, "policies"), { recursive: true });
    const result = arbiter(["policy", "validate"], { cwd });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^valid: policies\n/);
  });

  it("lists every problem with its place and exits 1", () => {
    const dir = join(work, "broken");
    cpSync(MINIMAL, dir, { recursive: true });
    writeFileSync(join(dir, "bad.cedar"), '@id("a")\npermit (principal, action == Action::"raed", resource);\n\n@id("b") @note("n") @contrl("x")\nforbid (principal, action, resource);\n');
    const result = arbiter(["policy", "validate", dir]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      "arbiter: the policy set was refused (3 problems) [POLICY_INVALID]",
      '  bad.cedar:1:1: [a] missing @note("..."): the sentence shown in every record this policy decides',
      '  bad.cedar:2:30: [a] unrecognized action `Action::"raed"` (did you mean `Action::"read"`?)',
      "  bad.cedar:4:21: [b] unknown annotation @contrl (did you mean @control?); custom annotations start with x_",
      "",
    ]);
    const refused = JSON.parse(arbiter(["policy", "validate", dir, "--json"]).stdout) as { error: { code: string; problems: unknown[] } };
    expect(refused.error.code).toBe("POLICY_INVALID");
    expect(refused.error.problems).toHaveLength(3);
  });
});

describe("arbiter policy test", () => {
  it("runs the sample cases", () => {
    const result = arbiter(["policy", "test", join(EXAMPLES, "tests.yaml")]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^PASS {2}an agent reads a file in its workspace\n/);
    expect(result.stdout).toMatch(/\n22 cases: 22 passed, 0 failed \(policy set sha256:[0-9a-f]{64}\)\n$/);
  });

  it("shows what a failing case got, and exits 1", () => {
    const result = arbiter(["policy", "test", FAILING]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      "FAIL  wrongly expects a .env read to be allowed\n      expected allow POLICY_PERMIT\n      got      deny POLICY_FORBID (access) [no-credential-files]: No identity may read or write .env files or anything under a secrets directory.\n",
    );
    expect(result.stdout).toContain("3 cases: 1 passed, 2 failed");
    const report = JSON.parse(arbiter(["policy", "test", FAILING, "--json"]).stdout) as { passed: number; failed: number; results: { name: string; passed: boolean }[] };
    expect([report.passed, report.failed, report.results.length]).toEqual([1, 2, 3]);
  });

  it("takes the policy directory from --policies", () => {
    const result = arbiter(["policy", "test", FAILING, "--policies", MINIMAL]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("got      error UNKNOWN_ACTION");
  });
});

describe("arbiter policy activate, show, versions, diff", () => {
  it("activates, records the change in the ledger, and is idempotent", () => {
    const first = json<{ from: null; to: string; changed: boolean; index: number }>(["policy", "activate", MINIMAL, "--data", data, "--actor", "dana", "--note", "Initial set."]);
    expect(first).toMatchObject({ from: null, changed: true, index: 0 });
    const shown = json<{ record: Record<string, unknown> }>(["log", "show", "0", "--data", data]);
    expect(shown.record).toMatchObject({ kind: "policy_change", from_version: null, to_version: first.to, actor: { id: "dana", type: "human" } });
    expect(shown.record.note).toMatch(/Initial set\.$/);

    const again = arbiter(["policy", "activate", MINIMAL, "--data", data]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`already active: ${first.to}\n`);

    const diff = arbiter(["policy", "diff", "--data", data, "--to", EXAMPLES]);
    expect(diff.status).toBe(0);
    expect(diff.stdout).toContain(`from: ${first.to} (active)\n`);
    expect(diff.stdout).toContain("removed: no-restricted-delete, read-unrestricted\n");
    expect(diff.stdout).toContain("schema: changed\nlimits: changed\n");

    const second = arbiter(["policy", "activate", EXAMPLES, "--data", data], { env: { ARBITER_ACTOR: "erin" } });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(new RegExp(`^tests: 22 passed \\(.*tests\\.yaml\\)\\nactivated: sha256:[0-9a-f]{64}\\nprevious: ${first.to}\\n12 added, 2 removed, 0 changed; ledger entry 1\\n$`));

    const show = arbiter(["policy", "show", "--data", data]);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(/^version: sha256:[0-9a-f]{64} \(active\)\npolicies: 12\n/);
    expect(show.stdout).toContain("  production-approval  forbid  APPROVAL_REQUIRED  approval  deploy.cedar:16\n      A production deploy needs the approval of a release approver.\n");
    expect(show.stdout).toContain("  agent-search  rate 5/60s burst 5  principal_types=agent actions=search_docs\n");
    const older = json<{ version: string; active: boolean }>(["policy", "show", first.to, "--data", data]);
    expect(older).toMatchObject({ version: first.to, active: false });

    const versions = json<{ versions: { version: string; active: boolean }[]; activations: { actor: { id: string } }[] }>(["policy", "versions", "--data", data]);
    expect(versions.versions.map((v) => v.active)).toEqual([true, false]);
    expect(versions.activations.map((a) => a.actor.id)).toEqual(["erin", "dana"]);

    const between = json<{ added: string[]; removed: string[] }>(["policy", "diff", "--data", data, "--from", first.to, "--to", MINIMAL]);
    expect(between).toMatchObject({ added: [], removed: [] });
    expect(arbiter(["policy", "diff", "--from", MINIMAL, "--to", MINIMAL]).stdout).toContain("no changes\n");
  }, 180_000); // a dozen CLI processes, one after another: a loaded two-core machine needs more than the default

  it("refuses an invalid set without touching the ledger", () => {
    const dir = join(work, "invalid");
    cpSync(MINIMAL, dir, { recursive: true });
    writeFileSync(join(dir, "bad.cedar"), "permit (principal, action, resource);\n");
    const before = json<{ versions: unknown[] }>(["policy", "versions", "--data", data]).versions.length;
    expect(arbiter(["policy", "activate", dir, "--data", data]).status).toBe(1);
    expect(json<{ versions: unknown[] }>(["policy", "versions", "--data", data]).versions).toHaveLength(before);
  });

  it("says so when nothing is active or a version is unknown", () => {
    const empty = join(work, "empty-data");
    expect(arbiter(["init", "--data", empty]).status).toBe(0);
    const show = arbiter(["policy", "show", "--data", empty]);
    expect(show.status).toBe(3);
    expect(show.stderr).toBe("arbiter: no policy set is active; run `arbiter policy activate DIR` [NO_ACTIVE_POLICY]\n");
    expect(arbiter(["policy", "show", "sha256:" + "0".repeat(64), "--data", empty]).stderr).toMatch(/NOT_FOUND/);
    expect(arbiter(["policy", "versions", "--data", empty]).stdout).toBe("no policy set was ever activated\n");
  });
});
