// A decision as the proxy needs it: a status and headers it can act on and pass on (nginx drops auth_request bodies).
import type { Decision } from "../../decide/index.js";
import type { DecisionReasonCode } from "../../record/index.js";

/** Headers Arbiter sets on every check answer; the proxy copies the allow ones to the upstream request. */
export const ANSWER_HEADERS = {
  decisionId: "x-arbiter-decision-id",
  subject: "x-arbiter-subject",
  reason: "x-arbiter-reason",
  note: "x-arbiter-note",
  approval: "x-arbiter-approval-request",
  traceparent: "traceparent",
} as const;

export interface CheckAnswer {
  status: number;
  headers: Record<string, string>;
  /** An RFC 9457 problem for refusals (Caddy, Traefik and Envoy pass it to the client), `{}` on allow. */
  body: Record<string, unknown>;
}

const INVALID_CREDENTIAL: ReadonlySet<DecisionReasonCode> = new Set(["CREDENTIAL_INVALID", "CREDENTIAL_EXPIRED", "CREDENTIAL_REVOKED", "CREDENTIAL_ROTATED", "TASK_COMPLETED"]);
const LIMITS: ReadonlySet<DecisionReasonCode> = new Set(["RATE_LIMITED", "QUOTA_EXCEEDED"]);
const NOTE_CHARS = 512;

/** A header value a proxy passes unchanged: visible ASCII and spaces only, bounded. */
export function headerSafe(text: string, max = NOTE_CHARS): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length <= max ? ascii : `${ascii.slice(0, max - 1)}…`.replace(/[^\x20-\x7e]/g, ".");
}

function quoted(text: string): string {
  return headerSafe(text, 256).replace(/["\\]/g, "'");
}

/**
 * Statuses: allow 200; step-up 401 with an RFC 9470 challenge; a missing or bad credential 401 with
 * an RFC 6750 challenge; rate limit or quota 429 with Retry-After; no decision, or limits that could not be counted, 503; everything else
 * (deny, approval required, no route, a rejected request) 403.
 */
export function answerFor(decision: Decision, traceparent: string): CheckAnswer {
  const headers: Record<string, string> = {
    [ANSWER_HEADERS.decisionId]: decision.decision_id,
    [ANSWER_HEADERS.reason]: decision.reason_code,
    [ANSWER_HEADERS.note]: headerSafe(decision.note),
    [ANSWER_HEADERS.traceparent]: traceparent,
    "cache-control": "no-store",
  };
  if (decision.subject.type !== "unknown") headers[ANSWER_HEADERS.subject] = headerSafe(decision.subject.id, 128);
  if (decision.outcome === "allow") return { status: 200, headers, body: {} };
  let status = 403;
  const reason = decision.reason_code;
  if (decision.outcome === "error" || reason === "RATE_LIMIT_UNAVAILABLE") {
    status = 503;
  } else if (reason === "STEP_UP_REQUIRED") {
    status = 401;
    const step = decision.step_up;
    // RFC 9470 §3: the resource server asks for a fresher (max_age) or stronger (acr_values) authentication.
    headers["www-authenticate"] =
      `Bearer realm="arbiter", error="insufficient_user_authentication", error_description="${quoted(decision.note)}"` +
      `${step?.acr ? `, acr_values="${quoted(step.acr)}"` : ""}${step?.max_auth_age !== undefined ? `, max_age="${step.max_auth_age}"` : ""}`;
  } else if (reason === "CREDENTIAL_MISSING") {
    status = 401;
    headers["www-authenticate"] = 'Bearer realm="arbiter"';
  } else if (INVALID_CREDENTIAL.has(reason)) {
    status = 401;
    headers["www-authenticate"] = `Bearer realm="arbiter", error="invalid_token", error_description="${quoted(decision.note)}"`;
  } else if (LIMITS.has(reason)) {
    status = 429;
    headers["retry-after"] = String(Math.max(1, decision.retry_after ?? 1));
  }
  if (decision.approval_request) headers[ANSWER_HEADERS.approval] = decision.approval_request.id;
  return {
    status,
    headers,
    body: {
      type: `/problems/decision/${reason}`,
      title: reason,
      status,
      detail: decision.note,
      reason_code: reason,
      outcome: decision.outcome,
      decision_id: decision.decision_id,
      ...(decision.retry_after !== undefined ? { retry_after: decision.retry_after } : {}),
      ...(decision.approval_request ? { approval_request: decision.approval_request } : {}),
    },
  };
}

/** When no decision could be recorded: refuse, and say so (nothing names a decision, since there is none). */
export function undecidedAnswer(note: string): CheckAnswer {
  return {
    status: 503,
    headers: { [ANSWER_HEADERS.reason]: "DECISION_ERROR", [ANSWER_HEADERS.note]: headerSafe(note), "retry-after": "5", "cache-control": "no-store" },
    body: { type: "/problems/decision/DECISION_ERROR", title: "DECISION_ERROR", status: 503, detail: note, reason_code: "DECISION_ERROR", outcome: "error" },
  };
}
