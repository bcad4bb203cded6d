// A decision as it is being made: outcome and reason, plus what must be written with it.
import type { Control, DecisionReasonCode, Obligation, Outcome } from "../record/index.js";
import type { StoreEffect } from "../store/index.js";
import type { EvaluatedPart } from "./evaluated.js";

/** A record that must be appended together with the decision (an approval request, say). */
export interface CompanionRecord {
  input: Record<string, unknown>;
  effects?: StoreEffect[];
}

export interface Verdict {
  outcome: Outcome;
  control: Control;
  reason: DecisionReasonCode;
  note: string;
  determining: string[];
  obligations: Obligation[];
  retryAfter?: number;
  approvalRequest?: { id: string; state: string; expiresAt: string };
  /** An approval request this decision opens (not one it found waiting), announced once the decision is durable. */
  opened?: { requestId: string; policy: string; approverRole: string; note: string; createdAt: string; expiresAt: string };
  approval?: { requestId: string; approver: string; decidedAt: string };
  grant?: { id: string; expiresAt: string; usesRemaining: number };
  stepUp?: { maxAuthAge?: number; acr?: string };
  breakGlass?: { sessionId: string; expiresAt: string; justification: string };
  /** State changes that commit with the decision record (a grant use, a break-glass count). */
  effects: StoreEffect[];
  /** Undo what deciding spent (a rate or quota unit) when the record could not be written. */
  refunds?: (() => Promise<void>)[];
  companions: CompanionRecord[];
  /** What policy was evaluated on, for the record (absent when policy was never asked). */
  evaluated?: EvaluatedPart;
}

export function verdict(fields: Omit<Verdict, "effects" | "companions" | "obligations" | "determining"> & Partial<Pick<Verdict, "obligations" | "determining">>): Verdict {
  return { determining: [], obligations: [], effects: [], companions: [], ...fields };
}

/** Outcomes a break-glass session may override: policy denials and challenges, never lifecycle, limits or errors. */
export function overridable(v: Verdict): boolean {
  return (v.outcome === "deny" || v.outcome === "challenge") && ["access", "usage", "approval", "step_up"].includes(v.control);
}
