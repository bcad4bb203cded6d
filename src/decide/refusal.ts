// A refusal an enforcement point made before policy could be asked (no route, a malformed request, no
// credential), recorded as a decision like any other so that nothing a PEP turned away goes unrecorded.
import { z } from "zod";
import { correlationSchema, pepSchema, REASON_CODES, type DecisionReasonCode } from "../record/index.js";
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
