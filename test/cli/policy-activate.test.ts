// `arbiter policy activate` runs the set's own tests first and refuses a set that fails them
// (--skip-tests overrides, recorded); a stored version can be activated again, and rollback
// re-activates the previous one.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, tempDir } from "../support/cli.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";

const work = tempDir("arbiter-activate-");
const data = join(work, "data");
const good = policyDir({}, EXAMPLES);
// Without the forbid on credential files, the sample's ".env" case fails.
const broken = policyDir({ "files.cedar": (old) => old.replace(/@id\("no-credential-files"\)[\s\S]*?;\n/, "") }, EXAMPLES);

interface Activated { to: string; from: string | null; changed: boolean; index: number; tests: Record<string, unknown>; replay?: { mode: string } }

function activate(args: string[]): { status: number | null; body: Activated | undefined; stdout: string; stderr: string } {
  const result = arbiter(["policy", "activate", ...args, "--data", data, "--actor", "dana"]);
  let body: Activated | undefined;
  try {
    body = JSON.parse(result.stdout) as Activated;
  } catch {
    body = undefined;
  }
  return { status: result.status, body, stdout: result.stdout, stderr: result.stderr };
}

const active = () => (JSON.parse(arbiter(["policy", "show", "--data", data, "--json"]).stdout) as { version: string }).version;
const recordAt = (index: number) => (JSON.parse(arbiter(["log", "show", String(index), "--data", data, "--json"]).stdout) as { record: { attributes?: Record<string, unknown>; to_version: string } }).record;

beforeAll(() => {
  expect(arbiter(["init", "--data", data, "--origin", "activate.arbiter.example/log"]).status).toBe(0);
});

describe("arbiter policy activate runs the set's tests first", () => {
  let goodVersion = "";
  let brokenVersion = "";

  it("activates a set whose tests pass, and records that they ran", () => {
    const human = arbiter(["policy", "activate", good, "--data", data, "--actor", "dana"]);
    expect(human.status).toBe(0);
    expect(human.stdout).toMatch(/^tests: 22 passed \(.*tests\.yaml\)\nactivated: sha256:[0-9a-f]{64}\n/);
    goodVersion = active();
    expect(recordAt(0).attributes).toEqual({ tests: { status: "passed", file: join(good, "tests.yaml"), passed: 22 } });
  });

  it("refuses a set whose tests fail, names the failing case, and leaves the running set active", () => {
    const refused = arbiter(["policy", "activate", broken, "--data", data]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("[POLICY_TESTS_FAILED]");
    expect(refused.stderr).toContain("FAIL  an agent may not read a .env file, even in its workspace");
    expect(refused.stderr).toContain("--skip-tests");
    expect(active()).toBe(goodVersion);
  });

  it("activates it with --skip-tests, and the record says the tests were skipped", () => {
    const forced = activate([broken, "--skip-tests", "--json"]);
    expect(forced.status).toBe(0);
    expect(forced.body).toMatchObject({ from: goodVersion, changed: true, tests: { status: "skipped", reason: "--skip-tests" } });
    brokenVersion = forced.body?.to ?? "";
    expect(recordAt(forced.body?.index ?? -1).attributes).toEqual({ tests: { status: "skipped", reason: "--skip-tests" } });
  });

  it("rolls back to the version that was active before, with a record", () => {
    const rolled = JSON.parse(arbiter(["policy", "rollback", "--data", data, "--json", "--actor", "dana"]).stdout) as Activated;
    expect(rolled).toMatchObject({ from: brokenVersion, to: goodVersion, changed: true, tests: { status: "not_run" } });
    expect(recordAt(rolled.index)).toMatchObject({ to_version: goodVersion, attributes: { tests: { status: "not_run", reason: "rollback to a stored version" } } });
    expect(active()).toBe(goodVersion);
  });

  it("activates a stored version again by its hash, and refuses one it does not hold", () => {
    const again = activate([brokenVersion, "--json"]);
    expect(again.status).toBe(0);
    expect(again.body).toMatchObject({ from: goodVersion, to: brokenVersion, tests: { status: "not_run" } });
    const unknown = arbiter(["policy", "activate", `sha256:${"0".repeat(64)}`, "--data", data]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("[NOT_FOUND]");
    expect(active()).toBe(brokenVersion);
  });

  it("shows what the set would change on recorded decisions before activating, with --with-replay", () => {
    const shown = arbiter(["policy", "activate", good, "--data", data, "--with-replay"]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(/^replayed 0 of 0 decisions under the candidate set sha256:[0-9a-f]{64}\nunchanged: 0\nno outcome would change\ntests: 22 passed/);
  });

  it("says there is nothing to roll back to in a data directory with one activation", () => {
    const fresh = join(tempDir("arbiter-rollback-"), "data");
    expect(arbiter(["init", "--data", fresh, "--origin", "rollback.arbiter.example/log"]).status).toBe(0);
    expect(arbiter(["policy", "activate", good, "--data", fresh]).status).toBe(0);
    const none = arbiter(["policy", "rollback", "--data", fresh]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain("no earlier policy set version to roll back to");
  });
});
