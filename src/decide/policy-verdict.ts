// Policy's own verdict on a request, before gates, grants, limits or break-glass: what the engine applies and replay compares.
import { interpret, type CedarRequest, type PolicyEngine, type PolicySet, type PolicyVerdict } from "../policy/index.js";

/** Policies that challenge rather than refuse: set aside, they show whether the call could be allowed at all. */
export const GATE_REASONS = ["APPROVAL_REQUIRED", "STEP_UP_REQUIRED"] as const;

export interface Judged {
  /** Cedar's answer as interpreted, with the gate or step-up to apply. */
  first: PolicyVerdict;
  /** The verdict the decision stands on: `first`, or the denial behind a challenge no approval could lift. */
  effective: PolicyVerdict;
}

export function judge(set: PolicySet, engine: PolicyEngine, request: CedarRequest): Judged {
  const first = interpret(set, engine.evaluate(request));
  if (first.outcome !== "challenge") return { first, effective: first };
  // An approval or a step-up can only lift its own gate: asked of a caller no permit covers, the
  // approver would approve and the retry still be denied. That denial is the verdict.
  const ungated = interpret(set, engine.evaluate(request, { excludeReasons: GATE_REASONS }));
  return { first, effective: ungated.outcome === "allow" ? first : ungated };
}
