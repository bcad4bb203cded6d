// Interpretation: which determining policy speaks for the decision, and what the enforcement point must do.
import { describe, expect, it } from "vitest";
import { interpret, loadPolicyDir, type Evaluation, type PolicyVerdict } from "../../src/policy/index.js";
import { policyDir } from "./policy-dirs.js";

const set = loadPolicyDir(
  policyDir({
    "policies.cedar": `
@id("p-permit") @note("Readers may read.")
permit (principal, action == Action::"read", resource);

@id("p-mask-a") @note("Field a is masked.") @mask_fields("$.a") @mask_detectors("email")
permit (principal, action == Action::"read", resource);

@id("p-mask-b") @note("Field b is masked.") @mask_fields("$.b") @mask_detectors("email,payment_card")
permit (principal, action == Action::"read", resource);

@id("f-forbid") @note("Forbidden.")
forbid (principal, action == Action::"read", resource) when { resource.classification == "x" };

@id("f-window") @note("Outside hours.") @reason("OUTSIDE_TIME_WINDOW")
forbid (principal, action == Action::"read", resource) when { context.now.hour > 20 };

@id("f-approval") @note("Needs approval.") @reason("APPROVAL_REQUIRED")
@approval_ttl("120") @grant_uses("3") @grant_ttl("60") @approver_role("lead") @allow_owner_approval("true")
forbid (principal, action == Action::"read", resource) when { resource.classification == "y" };

@id("f-approval-2") @note("Needs approval too.") @reason("APPROVAL_REQUIRED")
forbid (principal, action == Action::"read", resource) when { resource.classification == "z" };

@id("f-stepup") @note("Log in again.") @reason("STEP_UP_REQUIRED") @max_auth_age("300") @acr("mfa")
forbid (principal, action == Action::"read", resource) when { context.auth.age_seconds > 300 };

@id("f-intent") @note("Wrong task.") @reason("INTENT_MISMATCH") @control("access")
forbid (principal, action == Action::"read", resource) when { context.intent == "x" };
`,
  }),
);

function evaluation(decision: "allow" | "deny", determining: string[], errors: Evaluation["errors"] = [], principalType = "Agent", action = "read"): Evaluation {
  return { decision, determining, errors, evaluated: 9, principal: { type: principalType, id: "bot" }, action, resource: { type: "Document", id: "d1" } };
}

const rule = (id: string) => set.rule(id);

const TABLE: [string, Evaluation, Partial<PolicyVerdict>][] = [
  ["a plain permit", evaluation("allow", ["p-permit"]), { outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: "Readers may read.", determining: ["p-permit"], obligations: [] }],
  [
    "masking permits merge into one mask obligation, the first by id speaks",
    evaluation("allow", ["p-permit", "p-mask-b", "p-mask-a"]),
    { outcome: "allow", control: "masking", reason_code: "DATA_MASKED", note: "Field a is masked.", determining: ["p-mask-a", "p-mask-b", "p-permit"], obligations: [{ type: "mask", fields: ["$.a", "$.b"], detectors: ["email", "payment_card"] }] },
  ],
  ["no determining policy is a default deny", evaluation("deny", []), { outcome: "deny", control: "access", reason_code: "NO_MATCHING_PERMIT", note: "No permit policy allows agent bot to read Document d1.", determining: [] }],
  [
    "an action the principal type is not in",
    evaluation("deny", [], [], "Agent", "delete"),
    { outcome: "deny", reason_code: "NO_MATCHING_PERMIT", note: "Action delete does not apply to agent bot: it applies only to identities of type human." },
  ],
  ["a deny forbid wins over an approval gate", evaluation("deny", ["f-approval", "f-window"]), { outcome: "deny", control: "usage", reason_code: "OUTSIDE_TIME_WINDOW", note: "Outside hours.", determining: ["f-approval", "f-window"] }],
  ["deny forbids tie by id", evaluation("deny", ["f-window", "f-forbid"]), { outcome: "deny", control: "access", reason_code: "POLICY_FORBID", note: "Forbidden." }],
  ["a control annotation overrides the reason's control", evaluation("deny", ["f-intent"]), { outcome: "deny", control: "access", reason_code: "INTENT_MISMATCH" }],
  [
    "step-up is asked before approval",
    evaluation("deny", ["f-approval", "f-stepup"]),
    { outcome: "challenge", control: "step_up", reason_code: "STEP_UP_REQUIRED", note: "Log in again.", stepUp: { policy: rule("f-stepup")!, maxAuthAgeSeconds: 300, acr: "mfa" } },
  ],
  [
    "approval gates tie by id and carry their settings",
    evaluation("deny", ["f-approval-2", "f-approval"]),
    {
      outcome: "challenge",
      control: "approval",
      reason_code: "APPROVAL_REQUIRED",
      determining: ["f-approval", "f-approval-2"],
      gate: { policy: rule("f-approval")!, approvalTtlSeconds: 120, grantUses: 3, grantTtlSeconds: 60, approverRole: "lead", allowOwnerApproval: true },
    },
  ],
  [
    "an approval gate without settings gets the defaults",
    evaluation("deny", ["f-approval-2"]),
    { gate: { policy: rule("f-approval-2")!, approvalTtlSeconds: 900, grantUses: 1, grantTtlSeconds: 600, approverRole: "approver", allowOwnerApproval: false } },
  ],
  [
    "a forbid that failed to evaluate fails closed, even when permits allowed",
    evaluation("allow", ["p-permit"], [{ policyId: "f-forbid", message: "attribute `classification` not found" }]),
    { outcome: "error", control: "access", reason_code: "DECISION_ERROR", note: "Forbid policy f-forbid could not be evaluated for agent bot on read: attribute `classification` not found.", determining: ["f-forbid", "p-permit"] },
  ],
  [
    "only failing forbids join the determining policies of an error",
    evaluation("allow", ["p-mask-a"], [{ policyId: "p-permit", message: "x" }, { policyId: "f-forbid", message: "y" }, { policyId: "f-intent", message: "z" }]),
    { outcome: "error", note: "Forbid policy f-forbid could not be evaluated for agent bot on read: y (and 1 more failing).", determining: ["f-forbid", "f-intent", "p-mask-a"] },
  ],
  [
    "a failed forbid does not turn a gate into an approval",
    evaluation("deny", ["f-approval"], [{ policyId: "f-forbid", message: "boom" }]),
    { outcome: "error", reason_code: "DECISION_ERROR", determining: ["f-approval", "f-forbid"] },
  ],
  ["a failed forbid beside a denying forbid still denies", evaluation("deny", ["f-window"], [{ policyId: "f-forbid", message: "boom" }]), { outcome: "deny", reason_code: "OUTSIDE_TIME_WINDOW" }],
  [
    "a failed permit is a default deny that says why",
    evaluation("deny", [], [{ policyId: "p-permit", message: "boom" }]),
    { outcome: "deny", reason_code: "NO_MATCHING_PERMIT", note: "No permit policy allows agent bot to read Document d1 (1 permit could not be evaluated: p-permit: boom)." },
  ],
];

describe("interpret", () => {
  it.each(TABLE)("%s", (_, e, expected) => {
    const verdict = interpret(set, e);
    expect(verdict).toMatchObject(expected);
    if (!("gate" in expected)) expect(verdict.gate).toBeUndefined();
    if (!("stepUp" in expected)) expect(verdict.stepUp).toBeUndefined();
  });
});
