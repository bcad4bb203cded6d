// Cedar's answer in Arbiter's vocabulary: outcome, control, reason code, note, obligations, and the gate or step-up to apply.
import { REASON_CODES, type Control, type DecisionReasonCode, type Obligation, type Outcome } from "../record/index.js";
import { IDENTITY_TYPE_OF } from "./builtin-schema.js";
import type { PolicySet } from "./compile.js";
import type { Evaluation } from "./engine.js";
import type { ApprovalGate, PolicyRule } from "./rule.js";

export interface PolicyVerdict {
  outcome: Outcome;
  control: Control;
  reason_code: DecisionReasonCode;
  note: string;
  /** Every determining policy id, sorted. */
  determining: string[];
  /** On allow: one `mask` obligation when any determining permit masks. */
  obligations: Obligation[];
  /** On an approval challenge: the gate that asked for it. */
  gate?: ApprovalGate & { policy: PolicyRule };
  /** On a step-up challenge: what a fresh credential must show. */
  stepUp?: { policy: PolicyRule; maxAuthAgeSeconds?: number; acr?: string };
}

const byId = (a: PolicyRule, b: PolicyRule) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Challenge precedence: a fresher credential is cheaper to get than a human approval, so it is asked for first. */
const CHALLENGE_ORDER: readonly DecisionReasonCode[] = ["STEP_UP_REQUIRED", "APPROVAL_REQUIRED"];

function subjectLabel(e: Evaluation): string {
  return `${IDENTITY_TYPE_OF.get(e.principal.type) ?? e.principal.type} ${e.principal.id}`;
}

function fromRule(rule: PolicyRule, determining: string[]): PolicyVerdict {
  return { outcome: REASON_CODES[rule.reason].outcome, control: rule.control, reason_code: rule.reason, note: rule.note, determining, obligations: [] };
}

function noMatch(set: PolicySet, e: Evaluation): PolicyVerdict {
  const action = set.action(e.action);
  const skipped = e.errors.length > 0 ? ` (${e.errors.length} permit${e.errors.length > 1 ? "s" : ""} could not be evaluated: ${e.errors[0]?.policyId}: ${e.errors[0]?.message})` : "";
  const note = action && !action.principalTypes.includes(e.principal.type)
    ? `Action ${e.action} does not apply to ${subjectLabel(e)}: it applies only to identities of type ${action.principalTypes.map((t) => IDENTITY_TYPE_OF.get(t) ?? t).join(", ")}.`
    : `No permit policy allows ${subjectLabel(e)} to ${e.action} ${e.resource.type} ${e.resource.id}${skipped}.`;
  return { outcome: "deny", control: "access", reason_code: "NO_MATCHING_PERMIT", note, determining: [], obligations: [] };
}

/**
 * Turns an evaluation into a verdict. Fails closed on a forbid that errored (Cedar skips erroring
 * policies, which for a forbid would let the call through), unless another forbid denies anyway.
 */
export function interpret(set: PolicySet, e: Evaluation): PolicyVerdict {
  const determining = [...e.determining].sort();
  const rules = determining.map((id) => set.rule(id)).filter((r): r is PolicyRule => r !== undefined).sort(byId);
  const forbids = rules.filter((r) => r.effect === "forbid");
  const denying = forbids.find((r) => REASON_CODES[r.reason].outcome === "deny");
  const brokenForbids = e.errors.filter((err) => set.rule(err.policyId)?.effect === "forbid");
  const brokenForbid = brokenForbids[0];
  if (brokenForbid && !denying) {
    const more = brokenForbids.length > 1 ? ` (and ${brokenForbids.length - 1} more failing)` : "";
    return {
      outcome: "error",
      control: "access",
      reason_code: "DECISION_ERROR",
      note: `Forbid policy ${brokenForbid.policyId} could not be evaluated for ${subjectLabel(e)} on ${e.action}: ${brokenForbid.message}${more}.`,
      determining: [...new Set([...determining, ...brokenForbids.map((err) => err.policyId)])].sort(),
      obligations: [],
    };
  }
  if (e.decision === "deny") {
    if (forbids.length === 0) return noMatch(set, e);
    if (denying) return fromRule(denying, determining);
    for (const reason of CHALLENGE_ORDER) {
      const rule = forbids.find((r) => r.reason === reason);
      if (!rule) continue;
      const verdict = fromRule(rule, determining);
      if (rule.gate) verdict.gate = { policy: rule, ...rule.gate };
      if (rule.stepUp) verdict.stepUp = { policy: rule, ...rule.stepUp };
      return verdict;
    }
    return fromRule(forbids[0] as PolicyRule, determining);
  }
  const permits = rules.filter((r) => r.effect === "permit");
  const masking = permits.filter((r) => r.mask);
  if (masking.length > 0) {
    const first = masking[0] as PolicyRule;
    const fields = [...new Set(masking.flatMap((r) => r.mask?.fields ?? []))].sort();
    const detectors = [...new Set(masking.flatMap((r) => r.mask?.detectors ?? []))].sort();
    return { outcome: "allow", control: "masking", reason_code: "DATA_MASKED", note: first.note, determining, obligations: [{ type: "mask", fields, detectors }] };
  }
  const first = permits[0];
  if (!first) return { outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: `Allowed by ${determining.join(", ")}.`, determining, obligations: [] };
  return fromRule(first, determining);
}
