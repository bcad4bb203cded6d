// `arbiter policy replay` through the real CLI: reproduced decisions exit 0, a mismatch exits 1,
// --with shows what a candidate set would change, --json gives the whole report.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import type { DecisionRecord } from "../../src/record/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { arbiter, tempDir } from "../support/cli.js";
import { decidedNow, PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";

const data = join(tempDir("arbiter-cli-replay-"), "data");
const seeder = { id: "test-seeder", type: "human" as const };
const search = { subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } };
const withoutSearch = policyDir({ "files.cedar": (old) => old.replace(/@id\("search-docs"\)[\s\S]*$/, "") }, EXAMPLES);

async function withRuntime(fn: (runtime: ReturnType<typeof openRuntime>) => Promise<void>): Promise<void> {
  const runtime = openRuntime(data, { checkpointIntervalMs: 0, now: new TestClock(TUESDAY_10).now });
  try {
    await fn(runtime);
  } finally {
    await runtime.close();
  }
}

beforeAll(async () => {
  initDataDir(data, { origin: "test.arbiter.example/ledger" });
  await withRuntime(async (runtime) => {
    for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
    await runtime.policies.activate(loadPolicyDir(EXAMPLES), seeder);
    for (let i = 0; i < 3; i++) await runtime.engine.decide(search, TEST_CALLER);
    await runtime.engine.decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "vault", attributes: { classification: "restricted" } } }, TEST_CALLER);
  });
});

describe("arbiter policy replay", () => {
  it("reproduces every recorded decision under its own version and exits 0", () => {
    const result = arbiter(["policy", "replay", "--data", data]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("replayed 4 of 4 decisions under their own recorded policy versions\nreproduced: 4\nmismatches: 0\n");
    const report = JSON.parse(arbiter(["policy", "replay", "--data", data, "--json"]).stdout) as { mode: string; same: number; mismatches: { count: number } };
    expect(report).toMatchObject({ mode: "recorded", same: 4, mismatches: { count: 0 } });
  });

  it("shows what a candidate set would change", () => {
    const result = arbiter(["policy", "replay", "--data", data, "--with", withoutSearch]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("under the candidate set sha256:");
    expect(result.stdout).toContain("unchanged: 1\nallow -> deny: 3\n");
    expect(result.stdout).toMatch(/research-agent search_docs Tool::docs\/search: allow POLICY_PERMIT \[search-docs\] -> deny NO_MATCHING_PERMIT\n/);
  });

  it("refuses a time that is not RFC 3339", () => {
    const result = arbiter(["policy", "replay", "--data", data, "--from", "yesterday"]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--from must be an RFC 3339 time");
  });

  it("exits 1 on a decision it cannot reproduce, and prints its fields with control characters escaped", async () => {
    await withRuntime(async (runtime) => {
      const real = runtime.decisions.list({ resource: "vault", limit: 1 })[0]?.record as DecisionRecord;
      const { v: _v, id: _id, ...rest } = real;
      await runtime.ledger.append({ ...rest, resource: { ...real.resource, id: "vault\u001b[2J\nforged" }, outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: "Allowed.", policy: { ...real.policy, determining: ["support-query-customers"] } });
    });
    const result = arbiter(["policy", "replay", "--data", data]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("mismatches: 1\n");
    expect(result.stdout).toContain("Dataset::vault\\x1b[2J\\nforged: allow POLICY_PERMIT [support-query-customers] -> deny NO_MATCHING_PERMIT\n");
    expect(result.stdout).not.toContain("\u001b");
  });

  it("limits replay to a time range", () => {
    const report = JSON.parse(arbiter(["policy", "replay", "--data", data, "--json", "--from", "2026-11-24T10:00:01Z"]).stdout) as { decisions: number };
    expect(report.decisions).toBe(0);
  });
});

describe("arbiter policy replay with a relative window", () => {
  const today = join(tempDir("arbiter-cli-replay-now-"), "data");

  beforeAll(async () => {
    await decidedNow(today, EXAMPLES, async (runtime) => {
      for (let i = 0; i < 2; i++) await runtime.engine.decide(search, TEST_CALLER);
    });
  });

  it("finds the decisions recorded now with --from 1h --to now, and none an hour earlier, printing the absolute window", () => {
    const recent = arbiter(["policy", "replay", "--data", today, "--json", "--from", "1h", "--to", "now"]);
    expect(recent.stderr).toBe("");
    const report = JSON.parse(recent.stdout) as { decisions: number; same: number; from: string; to: string };
    expect(report).toMatchObject({ decisions: 2, same: 2 });
    // Both ends read one clock, once: the window is exactly the hour asked for, in RFC 3339.
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(3_600_000);
    expect(report.from).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const earlier = arbiter(["policy", "replay", "--data", today, "--from", "2h", "--to", "1h"]);
    expect(earlier.status).toBe(0);
    expect(earlier.stdout).toMatch(/^replayed 0 of 0 decisions recorded \d{4}-\S+Z \.\. \d{4}-\S+Z under their own recorded policy versions\n/);
    // Reversed, the window would find nothing without saying why: refused.
    const reversed = arbiter(["policy", "replay", "--data", today, "--from", "now", "--to", "1h"]);
    expect(reversed.status).toBe(2);
    expect(reversed.stderr).toMatch(/--from \S+ must be before --to \S+/);
  });

  it("refuses a relative time it cannot read with exit code 2", () => {
    for (const from of ["tomorrow", "-1h", "2026", "36501d"]) {
      const result = arbiter(["policy", "replay", "--data", today, "--from", from]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^arbiter: --from must be .* \[USAGE\]\n$/);
    }
  });
});
