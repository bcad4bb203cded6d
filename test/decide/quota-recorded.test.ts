// Quotas and rate limits count what was decided: a call whose record was refused (a grant another
// call used first) gives its unit back, and is decided once more on the state as it is then.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Identity } from "../../src/identity/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";

const DEPLOY = `
@id("pipelines-deploy")
@note("Release pipelines may deploy.")
permit (principal in Group::"release-pipelines", action == Action::"deploy", resource is Environment);

@id("production-approval")
@note("A production deploy needs the approval of a release approver.")
@reason("APPROVAL_REQUIRED")
@approver_role("release-approver")
@allow_owner_approval("false")
@grant_uses("1")
forbid (principal, action == Action::"deploy", resource is Environment)
when { resource.tier == "production" };
`;

let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
const seeder = { id: "test-seeder", type: "human" as const };

beforeAll(async () => {
  const dir = join(tempDir("arbiter-quota-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  const policies = policyDir({ "deploy.cedar": DEPLOY, "limits.yaml": (old) => old.replace("quota: 20/day", "quota: 2/day") }, EXAMPLES);
  await runtime.policies.activate(loadPolicyDir(policies), seeder);
});

afterAll(async () => {
  await runtime.close();
});

/** The rate obligation's remaining budget on an answer, if it has one. */
function rateLeft(answer: { obligations?: readonly unknown[] } | undefined): number | undefined {
  const rate = answer?.obligations?.find((o): o is { type: "rate"; remaining: number } => typeof o === "object" && o !== null && (o as { type?: unknown }).type === "rate");
  return rate?.remaining;
}

const deploy = (tier: string) => runtime.engine.decide({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: tier, attributes: { tier } } }, TEST_CALLER);

describe("a quota counts recorded decisions only", () => {
  it("decides again a call whose grant another call used first, giving back the unit of the refused attempt", async () => {
    const held = await deploy("production");
    expect(held).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
    await runtime.engine.approvals.approve(held.approval_request?.id ?? "", runtime.identities.get("bob") as Identity, "CAB-7 reviewed");

    // Both pass the gate on the one-use grant; the second's record is refused, and it is decided
    // again: the grant is gone, so a new approval request is opened and recorded.
    const raced = await Promise.all([deploy("production"), deploy("production")]);
    const won = raced.find((d) => d.reason_code === "APPROVAL_GRANTED");
    const lost = raced.find((d) => d.reason_code === "APPROVAL_REQUIRED");
    expect(rateLeft(won)).toBe(1);
    expect(lost?.outcome).toBe("challenge");
    expect(lost?.approval_request?.state).toBe("pending");
    const recorded = runtime.ledger.reader.locateRecord(lost?.decision_id ?? "");
    expect(recorded?.kind).toBe("decision");

    // One of the two units a day is spent: the refused call spent none.
    const next = await deploy("staging");
    expect(next.outcome).toBe("allow");
    expect(rateLeft(next)).toBe(0);
    expect(await deploy("staging")).toMatchObject({ outcome: "deny", reason_code: "QUOTA_EXCEEDED" });
  });
});
