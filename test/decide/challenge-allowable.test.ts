// Challenge only a caller who could be allowed: an approval or step-up is asked for only when the call,
// with the gates set aside, would be permitted; otherwise the denial is answered and no request opened.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";

// Production deploys need an approval at any hour, so the test does not depend on the sample's time window.
const DEPLOY = `
@id("pipelines-deploy")
@note("Release pipelines may deploy.")
permit (principal in Group::"release-pipelines", action == Action::"deploy", resource is Environment);

@id("production-approval")
@note("A production deploy needs the approval of a release approver.")
@reason("APPROVAL_REQUIRED")
@approver_role("release-approver")
@allow_owner_approval("false")
forbid (principal, action == Action::"deploy", resource is Environment)
when { resource.tier == "production" };
`;

let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
const seeder = { id: "test-seeder", type: "human" as const };

beforeAll(async () => {
  const dir = join(tempDir("arbiter-challenge-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(policyDir({ "deploy.cedar": DEPLOY }, EXAMPLES)), seeder);
});

afterAll(async () => {
  await runtime.close();
});

const production = { type: "Environment", id: "production", attributes: { tier: "production" } };
const rotate = { action: "rotate_secret", resource: { type: "Secret", id: "db-password", attributes: { environment: "production" } } };

describe("a gate challenges only a caller some permit covers", () => {
  it("answers NO_MATCHING_PERMIT to a human no permit lets deploy, and opens no approval request", async () => {
    const before = runtime.approvals.list({ limit: 100 }).length;
    const decision = await runtime.engine.decide({ subject: { id: "bob" }, action: "deploy", resource: production }, TEST_CALLER);
    expect(decision).toMatchObject({ outcome: "deny", reason_code: "NO_MATCHING_PERMIT" });
    expect(decision.approval_request).toBeUndefined();
    expect(runtime.approvals.list({ limit: 100 })).toHaveLength(before);
  });

  it("still holds a release pipeline's production deploy for an approval", async () => {
    const decision = await runtime.engine.decide({ subject: { id: "release-pipeline" }, action: "deploy", resource: production }, TEST_CALLER);
    expect(decision).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED", approval_request: { state: "pending" } });
  });

  it("answers NO_MATCHING_PERMIT, not STEP_UP_REQUIRED, to a caller no permit lets rotate a secret, however fresh its login", async () => {
    const stale = await runtime.engine.decide({ subject: { id: "bob" }, ...rotate }, TEST_CALLER);
    expect(stale).toMatchObject({ outcome: "deny", reason_code: "NO_MATCHING_PERMIT" });
    expect(stale.step_up).toBeUndefined();
    const fresh = await runtime.engine.decide({ subject: { id: "bob", acr: "mfa", authenticated_at: clock.now().toISOString() }, ...rotate }, TEST_CALLER);
    expect(fresh).toMatchObject({ outcome: "deny", reason_code: "NO_MATCHING_PERMIT" });
  });

  it("still asks alice, whom a permit covers, to step up", async () => {
    const stale = await runtime.engine.decide({ subject: { id: "alice" }, ...rotate }, TEST_CALLER);
    expect(stale).toMatchObject({ outcome: "challenge", reason_code: "STEP_UP_REQUIRED", step_up: { acr: "mfa" } });
  });
});
