// Replaying recorded decisions: under their own recorded version every verdict is reproduced (a forged
// or wrong record is a mismatch); under a candidate set the changes are counted; decisions whose
// committed inputs were erased, or that policy never saw, are not replayable, never mismatches.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Replayer, NOT_REPLAYABLE } from "../../src/decide/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import type { DecisionRecord } from "../../src/record/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";
import { TICKETS_POLICY, TICKETS_SCHEMA } from "./tickets.js";

let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
const seeder = { id: "test-seeder", type: "human" as const };
const ticket = (id: string, queue: string) => ({ subject: { id: "support-agent" }, action: "lookup_ticket", resource: { type: "Dataset", id: "tickets" }, context: { ticket: id, queue } });
const search = { subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } };
let erasedId = "";
let firstVersion = "";

beforeAll(async () => {
  const dir = join(tempDir("arbiter-replay-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  const first = loadPolicyDir(policyDir({ "schema.cedarschema": TICKETS_SCHEMA, "tickets.cedar": TICKETS_POLICY }, EXAMPLES));
  firstVersion = first.version;
  await runtime.policies.activate(first, seeder);
  const decide = (request: Parameters<Runtime["engine"]["decide"]>[0]) => runtime.engine.decide(request, TEST_CALLER);
  await decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
  await decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "vault", attributes: { classification: "restricted" } } });
  await decide({ subject: { id: "research-agent" }, action: "write_file", resource: { type: "Tool", id: "fs/write" }, args: { path: "/workspace/notes.md" }, intent: "read-only research" });
  await decide({ subject: { id: "research-agent" }, action: "read_file", resource: { type: "Tool", id: "fs/read" }, args: { path: "/workspace/readme.md" } });
  await decide(ticket("T-1", "billing"));
  await decide(ticket("T-2", "fraud"));
  erasedId = (await decide(ticket("T-3", "billing"))).decision_id;
  for (let i = 0; i < 6; i++) await decide(search); // the sixth is RATE_LIMITED: policy allowed it
  await decide({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } } });
  await decide({ ...search, subject: { id: "nobody-known" } });
  await runtime.ledger.erase({ recordId: erasedId }, (erased) => ({ kind: "event", source: "arbiter", subject: { id: "test-runner", type: "human" }, action: "erase_raw_values", resource: { id: erasedId, type: "record" }, outcome: "allow", attributes: { erased_values: erased } }));
  // A later version: replay must still use each decision's own.
  await runtime.policies.activate(loadPolicyDir(policyDir({ "schema.cedarschema": TICKETS_SCHEMA, "tickets.cedar": TICKETS_POLICY, "data.cedar": null }, EXAMPLES)), seeder);
  clock.advance(60);
  await decide({ subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
});

afterAll(async () => {
  await runtime.close();
});

const replayer = () => new Replayer(runtime.ledger, runtime.policies);

describe("policy replay under the recorded versions", () => {
  it("reproduces every verdict, rate-limited and approval-held decisions on policy's own verdict", () => {
    const report = replayer().run();
    expect(report.mismatches).toEqual({ count: 0, samples: [] });
    expect(report.decisions).toBe(16);
    // The last decision was made under the later set (no data.cedar: denied); replayed under the first it would be allowed.
    expect(report.replayed).toBe(14);
    expect(report.same).toBe(14);
    expect(report.not_replayable).toHaveLength(2);
    expect(report.not_replayable).toEqual(expect.arrayContaining([
      { reason: NOT_REPLAYABLE.erased, count: 1, samples: [erasedId] },
      { reason: NOT_REPLAYABLE.noInputs, count: 1, samples: [expect.any(String)] },
    ]));
  });

  it("limits the replay to a time range", () => {
    const report = replayer().run({ from: new Date(Date.parse(TUESDAY_10) + 30_000).toISOString() });
    expect(report.decisions).toBe(1);
    expect(report.same).toBe(1);
  });

  it("reports a decision record whose outcome policy would not give as a mismatch", async () => {
    const found = runtime.decisions.list({ resource: "vault", limit: 1 })[0];
    const real = found?.record as DecisionRecord;
    const { v: _v, id: _id, time, ...rest } = real;
    // A record that claims an allow policy never gave (a bug, or a forged decision).
    await runtime.ledger.append({ ...rest, time, outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: "Allowed.", policy: { ...real.policy, determining: ["support-query-customers"] } });
    const report = replayer().run();
    expect(report.mismatches.count).toBe(1);
    expect(report.mismatches.samples[0]).toMatchObject({ recorded: { outcome: "allow", reason_code: "POLICY_PERMIT" }, replayed: { outcome: "deny", reason_code: "NO_MATCHING_PERMIT", determining: [] }, policy_set_version: firstVersion });
  });
});

describe("policy replay with a candidate set", () => {
  it("counts and samples what a set without the search permit would deny", () => {
    const candidate = loadPolicyDir(policyDir({ "schema.cedarschema": TICKETS_SCHEMA, "tickets.cedar": TICKETS_POLICY, "files.cedar": (old) => old.replace(/@id\("search-docs"\)[\s\S]*$/, "") }, EXAMPLES));
    const report = replayer().run({ candidate });
    expect(report.mode).toBe("candidate");
    expect(report.candidate_version).toBe(candidate.version);
    const denied = report.changes.find((c) => c.from === "allow" && c.to === "deny");
    // All six searches (the rate-limited one too, since policy had allowed it), and the forged allow above.
    expect(denied?.count).toBe(7);
    expect(denied?.samples[0]).toMatchObject({ action: "search_docs", recorded: { outcome: "allow", determining: ["search-docs"] }, replayed: { outcome: "deny", reason_code: "NO_MATCHING_PERMIT" } });
    // The decision made under the later set, which had no customer-data permit.
    expect(report.changes.find((c) => c.from === "deny" && c.to === "allow")).toMatchObject({ count: 1, samples: [{ action: "query_customers" }] });
  });

  it("shows deny → allow for a candidate that lets the fraud queue through", () => {
    const candidate = loadPolicyDir(policyDir({ "schema.cedarschema": TICKETS_SCHEMA, "tickets.cedar": TICKETS_POLICY.replace('context.queue != "fraud" && ', "") }, EXAMPLES));
    const report = replayer().run({ candidate });
    const allowed = report.changes.find((c) => c.from === "deny" && c.to === "allow");
    // The fraud-queue ticket, and the decision made under the later set without the customer-data permit.
    expect(allowed?.count).toBe(2);
    expect(allowed?.samples.map((s) => s.action).sort()).toEqual(["lookup_ticket", "query_customers"]);
  });
});
