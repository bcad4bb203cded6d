// A refusal an enforcement point made before policy could be asked (no route, a malformed request, no
// credential), recorded as a decision like any other so that nothing a PEP turned away goes unrecorded.
import { z } from "zod";
import { correlationSchema, isArbiterError, pepSchema, REASON_CODES, type ArbiterError, type DecisionReasonCode } from "../record/index.js";
import { decisionRequestSchema, subjectRefSchema } from "./request.js";
import { verdict, type Verdict } from "./verdict.js";

/**
 * The reasons a PEP may record on its own. A PEP can always refuse; recording it can only add
 * evidence, never allow anything, so these need no policy.
 */
export const PEP_REFUSAL_CODES = [
  "NO_ROUTE",
  "REQUEST_REJECTED",
  "CREDENTIAL_MISSING",
  "CREDENTIAL_INVALID",
  "CREDENTIAL_EXPIRED",
  "UNKNOWN_PRINCIPAL",
  "PEP_UNAUTHENTICATED",
  "SESSION_LIMIT",
  "DECISION_ERROR",
] as const satisfies readonly DecisionReasonCode[];

export type PepRefusalCode = (typeof PEP_REFUSAL_CODES)[number];

/**
 * The errors with which the engine turns away a request it cannot decide (an undeclared action or
 * resource type, arguments it will not take, no active policy set). Arbiter itself is healthy, so
 * every door records the refusal as DECISION_ERROR, naming the code, before answering.
 */
export const UNDECIDABLE_REQUEST_CODES = ["REQUEST_INVALID", "UNKNOWN_ACTION", "UNKNOWN_RESOURCE_TYPE", "NO_ACTIVE_POLICY"] as const;

export function isUndecidableRequest(err: unknown): err is ArbiterError {
  return isArbiterError(err) && (UNDECIDABLE_REQUEST_CODES as readonly string[]).includes(err.code);
}

const shape = decisionRequestSchema.shape;

export const refusalRequestSchema = z.strictObject({
  /** Who asked, when the PEP knows: authenticated for the record only (a failed credential is still refused). */
  subject: subjectRefSchema.optional(),
  /** Stands for the caller in the record when there is no subject: a credential id, or "anonymous". */
  label: z.string().min(1).max(128).optional(),
  action: shape.action,
  resource: shape.resource,
  reason_code: z.enum(PEP_REFUSAL_CODES),
  note: z.string().min(1).max(2048),
  pep: pepSchema,
  correlation: correlationSchema.optional(),
  observed: shape.observed,
});

export type RefusalRequest = z.infer<typeof refusalRequestSchema>;

export function refusalVerdict(request: RefusalRequest): Verdict {
  const info = REASON_CODES[request.reason_code];
  return verdict({ outcome: request.reason_code === "DECISION_ERROR" ? "error" : "deny", control: info.control, reason: request.reason_code, note: request.note });
}
