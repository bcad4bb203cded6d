// The one registry of reason codes: every code has one meaning across every PEP and imported engine.
import { z } from "zod";
import type { Control, Outcome } from "./vocabulary.js";

/**
 * A decision code explains one outcome; a finding code names something linkage/ discovered after
 * the fact (it has no outcome of its own and never appears in a decision).
 */
export type ReasonCodeInfo =
  | { readonly meaning: string; readonly finding: false; readonly outcome: Outcome; readonly control: Control }
  | { readonly meaning: string; readonly finding: true; readonly control: Control };

const decision = (meaning: string, outcome: Outcome, control: Control) =>
  ({ meaning, finding: false, outcome, control }) as const;
const finding = (meaning: string, control: Control) => ({ meaning, finding: true, control }) as const;

/** Keep docs/reason-codes.md in step: test/record/docs.test.ts fails when a code is missing there. */
export const REASON_CODES = {
  POLICY_PERMIT: decision("A permit policy matched and no forbid policy did.", "allow", "access"),
  NO_MATCHING_PERMIT: decision("No permit policy matched the request, so Cedar's default deny applies.", "deny", "access"),
  POLICY_FORBID: decision("A forbid policy matched the request.", "deny", "access"),
  APPROVAL_REQUIRED: decision("The action needs a human approval that has not been given; an approval request is open.", "challenge", "approval"),
  APPROVAL_GRANTED: decision("A valid approval covers this subject, action, resource and arguments.", "allow", "approval"),
  APPROVAL_DENIED: decision("The approver refused the approval request for this action.", "deny", "approval"),
  APPROVAL_EXPIRED: decision("The approval request or the approval expired before the action was taken.", "deny", "approval"),
  STEP_UP_REQUIRED: decision("The caller must re-authenticate with a fresher or stronger credential first.", "challenge", "step_up"),
  RATE_LIMITED: decision("The caller exceeded its rate limit and may retry after retry_after seconds.", "deny", "rate_limit"),
  SESSION_LIMIT: decision("The caller already held as many MCP sessions as one identity may hold at once (mcp.max_sessions_per_identity), so another was refused.", "deny", "rate_limit"),
  RATE_LIMIT_UNAVAILABLE: decision("A rate limit or quota applies to the call but its counters could not be read or written (the shared store is unreachable or timed out), so the call is refused rather than allowed uncounted.", "deny", "rate_limit"),
  QUOTA_EXCEEDED: decision("The caller used up its quota for the current period.", "deny", "usage"),
  OUTSIDE_TIME_WINDOW: decision("The action is allowed only inside a time window and the request fell outside it.", "deny", "usage"),
  INTENT_MISMATCH: decision("The action does not fit the intent declared for the caller's task.", "deny", "usage"),
  CREDENTIAL_EXPIRED: decision("The presented credential is past its expiry time.", "deny", "lifecycle"),
  CREDENTIAL_REVOKED: decision("The presented credential was revoked.", "deny", "lifecycle"),
  TASK_COMPLETED: decision("The presented token was issued for a task that has been completed; completing a task revokes every credential issued for it.", "deny", "lifecycle"),
  CREDENTIAL_ROTATED: decision("The presented credential was replaced by rotation and is no longer accepted.", "deny", "lifecycle"),
  CREDENTIAL_INVALID: decision("The presented credential could not be verified (malformed, bad signature or wrong audience).", "deny", "access"),
  UNKNOWN_PRINCIPAL: decision("The credential is valid but belongs to no identity Arbiter knows, or the asserted id names none.", "deny", "access"),
  IDENTITY_SUSPENDED: decision("The identity is suspended.", "deny", "lifecycle"),
  IDENTITY_REVOKED: decision("The identity was revoked.", "deny", "lifecycle"),
  IDENTITY_OFFBOARDED: decision("The identity was offboarded and may no longer act.", "deny", "lifecycle"),
  NO_OWNER: decision("The identity has no accountable owner and policy requires one.", "deny", "lifecycle"),
  ROLE_REQUIRED: decision("The caller is authenticated but lacks the operator role the operation needs (only `pep` identities ask for decisions).", "deny", "access"),
  BREAK_GLASS: decision("An emergency break-glass override allowed the action, which must be reviewed.", "allow", "break_glass"),
  BREAK_GLASS_OPEN: decision("The identity already has an open break-glass session; it must end or expire before another is opened.", "deny", "break_glass"),
  GRANT_EXPIRED: decision("The just-in-time grant the action relies on has expired or is used up.", "deny", "approval"),
  DATA_MASKED: decision("The action is allowed with sensitive fields masked in what the caller receives.", "allow", "masking"),
  DECISION_ERROR: decision("No decision could be made (engine, store or policy failure), so the action is denied.", "error", "access"),
  NO_ROUTE: decision("No route of the HTTP routes file matches the request's host, method and path, so it is denied without asking policy.", "deny", "access"),
  REQUEST_REJECTED: decision("The enforcement point refused a malformed or ambiguous request before policy was asked (path traversal, encoded separators, conflicting or oversized headers, a missing body the route needs).", "deny", "access"),
  CREDENTIAL_MISSING: decision("The request carried no caller credential the enforcement point accepts.", "deny", "access"),
  PEP_UNAUTHENTICATED: decision("The proxy asking for the check presented no valid enforcement-point (pep) credential, so nothing it forwarded was trusted.", "deny", "access"),
  ASSERTION_OUT_OF_SCOPE: decision("The enforcement point named a caller by id, or vouched for how freshly it authenticated (acr, authenticated_at, a user confirmation), outside the assertion scope its identity was given; it is refused with 403.", "deny", "access"),
  UNLINKED_ACTION: finding("An action seen in an outside log has no matching Arbiter decision.", "access"),
  EXECUTED_DESPITE_DENY: finding("An action was executed although its decision did not allow it.", "access"),
  GRANT_EXPIRED_AT_USE: finding("An action used a grant after the grant had expired or was used up.", "approval"),
  CREDENTIAL_REVOKED_AT_USE: finding("An action used a credential after it was revoked.", "lifecycle"),
  USED_AFTER_TASK_COMPLETED: finding("An action used a token after the task it was issued for had been completed.", "lifecycle"),
  CREDENTIAL_ROTATED_AT_USE: finding("An action used a credential after it was replaced by rotation.", "lifecycle"),
  APPROVAL_SCOPE_MISMATCH: finding("An approved action ran with a different action, resource or arguments than approved.", "approval"),
  IDENTITY_WITHOUT_OWNER: finding("An identity acted while it had no accountable owner.", "lifecycle"),
} as const satisfies Record<string, ReasonCodeInfo>;

export type ReasonCode = keyof typeof REASON_CODES;
export type FindingCode = { [C in ReasonCode]: (typeof REASON_CODES)[C]["finding"] extends true ? C : never }[ReasonCode];
export type DecisionReasonCode = Exclude<ReasonCode, FindingCode>;

const codes = Object.keys(REASON_CODES) as ReasonCode[];

export function isFinding(code: ReasonCode): code is FindingCode {
  return REASON_CODES[code].finding;
}

/** Accepts every registered reason code, findings included. */
export const reasonCodeSchema = z.enum(codes as [ReasonCode, ...ReasonCode[]]);

/** Accepts the codes a decision can carry: findings are kept for linkage/ records. */
export const decisionReasonCodeSchema = z.enum(
  codes.filter((c): c is DecisionReasonCode => !isFinding(c)) as [DecisionReasonCode, ...DecisionReasonCode[]],
);
