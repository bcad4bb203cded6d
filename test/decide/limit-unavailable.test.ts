// Fail closed: when the limit store cannot answer, a call that a rate limit or quota covers is refused
// with RATE_LIMIT_UNAVAILABLE and recorded; a call no limit covers is decided as before.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LimitStoreUnavailable, type LimitStore } from "../../src/decide/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";

let runtime: Runtime;
let failure: Error = new LimitStoreUnavailable("Redis did not answer within 500 ms");
const unreachable: LimitStore = {
  take: () => Promise.reject(failure),
  close: () => Promise.resolve(),
};

beforeAll(async () => {
  const dir = join(tempDir("arbiter-limit-down-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: new TestClock(TUESDAY_10).now, limits: unreachable });
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(DEMO_POLICIES), seeder);
});

afterAll(async () => {
  await runtime.close();
});

const search = { subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } };

describe("a limit store that cannot answer", () => {
  it("refuses a limited call with RATE_LIMIT_UNAVAILABLE, says why, and records the refusal", async () => {
    const answer = await runtime.engine.decide(search, TEST_CALLER);
    expect(answer).toMatchObject({ outcome: "deny", control: "rate_limit", reason_code: "RATE_LIMIT_UNAVAILABLE" });
    expect(answer.note).toBe("Limit agent-search on search_docs for research-agent could not be checked (Redis did not answer within 500 ms), so the call is refused.");
    const recorded = runtime.decisions.find(answer.decision_id);
    expect(recorded.record).toMatchObject({ kind: "decision", outcome: "deny", reason_code: "RATE_LIMIT_UNAVAILABLE", control: "rate_limit" });
  });

  it("fails closed on any failure, not only the ones it knows", async () => {
    failure = new TypeError("something unexpected");
    const answer = await runtime.engine.decide(search, TEST_CALLER);
    expect(answer).toMatchObject({ outcome: "deny", reason_code: "RATE_LIMIT_UNAVAILABLE" });
    expect(answer.note).toMatch(/\(the limit store failed\)/);
  });

  it("leaves calls that no limit covers alone", async () => {
    const answer = await runtime.engine.decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } }, TEST_CALLER);
    expect(answer).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });
  });
});
