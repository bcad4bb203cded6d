// Linkage joins outside events to decisions through linkage_decisions, its own copy of each decision's
// keys: `arbiter log verify` recomputes every row from its leaf, so an edited row is named like an
// edited search index row (issue: verify covers every table a query answers from).
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { syncDecisionKeys } from "../../src/linkage/index.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { arbiter, tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";
import { tamperedCopy } from "../support/ledger.js";

const work = tempDir("arbiter-tamper-keys-");
const pristine = join(work, "pristine");
let decisionIndexes: number[] = [];

beforeAll(async () => {
  initDataDir(pristine, { origin: "tamper-keys.arbiter.example/log" });
  const runtime = openRuntime(pristine, { checkpointIntervalMs: 0, now: new TestClock(TUESDAY_10).now });
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(policyDir({}, EXAMPLES)), seeder);
  for (const environment of ["staging", "production", "staging"]) {
    const decision = await runtime.engine.decide({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: environment, attributes: { tier: environment } } }, TEST_CALLER);
    decisionIndexes.push(decision.ledger.index);
  }
  await syncDecisionKeys(runtime.store.linkage, runtime.ledger);
  await runtime.close();
  decisionIndexes = decisionIndexes.sort((a, b) => a - b);
});

function tampered(name: string, sql: string): string {
  return tamperedCopy(pristine, join(work, name), sql);
}

function verify(dir: string): { status: number | null; stderr: string; ok: boolean; failure?: { index: number; table?: string; problem: string } } {
  const json = arbiter(["log", "verify", "--json", "--data", dir]);
  const human = arbiter(["log", "verify", "--data", dir]);
  expect(human.status).toBe(json.status);
  return { status: json.status, stderr: human.stderr, ...(JSON.parse(json.stdout) as { ok: boolean }) };
}

describe("arbiter log verify on a tampered linkage_decisions table", () => {
  it("passes on the untouched table", () => {
    expect(verify(pristine)).toMatchObject({ status: 0, ok: true });
  });

  it("names the row whose outcome was flipped", () => {
    const [, second] = decisionIndexes;
    const result = verify(tampered("outcome", `UPDATE linkage_decisions SET outcome = 'allow' WHERE idx = ${second}`));
    expect(result).toMatchObject({ status: 1, ok: false, failure: { index: second, table: "linkage_decisions" } });
    expect(result.failure?.problem).toMatch(/column outcome is "allow" but the leaf says/);
    expect(result.stderr).toContain(`FAILED at index ${second} (table linkage_decisions)`);
  });

  it("names a decision whose row was deleted, and a row planted where no decision is", () => {
    const [first] = decisionIndexes;
    expect(verify(tampered("deleted", `DELETE FROM linkage_decisions WHERE idx = ${first}`))).toMatchObject({ status: 1, failure: { index: first, problem: "the decision's row is missing" } });
    const planted = tampered("planted", `INSERT INTO linkage_decisions SELECT 0, decision_id, source_id, engine, time_ms, outcome, reason_code, subject_id, credential_id, action,
      resource_type, resource_id, trace_id, args_digest, grant_id, grant_expires_at, approval_request_id, h_id, h_source, h_trace, h_credential, h_sar, h_action, h_resource
      FROM linkage_decisions WHERE idx = ${first}`);
    expect(verify(planted)).toMatchObject({ status: 1, failure: { index: 0, table: "linkage_decisions" } });
  });

  it("names a row whose grant was planted, which would make a use look granted", () => {
    const [, , third] = decisionIndexes;
    const result = verify(tampered("grant", `UPDATE linkage_decisions SET grant_id = 'grt_forged' WHERE idx = ${third}`));
    expect(result).toMatchObject({ status: 1, failure: { index: third, table: "linkage_decisions" } });
    expect(result.failure?.problem).toContain("grant_id");
  });
});
