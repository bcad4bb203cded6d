// The shape of a decision request, as a PEP sends it (HTTP body, MCP gateway, CLI).
import { z } from "zod";
import { correlationSchema, findJsonProblem, pepSchema, type JsonObject, type JsonValue } from "../record/index.js";

/** Deep or wide free-form input is refused before it reaches the policy engine. */
const MAX_JSON_DEPTH = 8;

// Refinements over unknown (not z.custom) so the OpenAPI document can still describe these fields.
const jsonValue = z.unknown().superRefine((value, ctx) => {
  const problem = findJsonProblem(value, MAX_JSON_DEPTH);
  if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.problem });
}) as unknown as z.ZodType<JsonValue>;

const jsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = findJsonProblem(value, MAX_JSON_DEPTH);
  if (problem) ctx.addIssue({ code: "custom", path: problem.path, message: problem.problem });
}) as unknown as z.ZodType<JsonObject>;

const name = z.string().min(1).max(256);

export const subjectRefSchema = z.union([
  z.strictObject({
    /** The caller's own API key or token, forwarded by the PEP: Arbiter authenticates it. */
    credential: z.string().min(1).max(8192),
  }),
  z.strictObject({
    /** An identity the PEP authenticated itself (only PEPs with the `pep` role may assert one). */
    id: z.string().min(1).max(128),
    /** When the PEP authenticated the caller, for step-up freshness; unknown means "not fresh". */
    authenticated_at: z.iso.datetime({ offset: true }).optional(),
    acr: z.string().max(128).optional(),
  }),
]);

export const decisionRequestSchema = z.strictObject({
  subject: subjectRefSchema,
  action: name,
  resource: z.strictObject({
    type: name,
    id: z.string().min(1).max(1024),
    attributes: jsonObject.optional(),
    parents: z.array(z.strictObject({ type: name, id: z.string().min(1).max(1024) })).max(16).optional(),
  }),
  /** Extra context the policy schema declares for this action (reserved names are Arbiter's). */
  context: jsonObject.optional(),
  /** The call's arguments: bound by digest to approvals, visible to policy as context.args, kept as a commitment. */
  args: jsonValue.optional(),
  /** The task intent the caller declared; overrides the intent carried by its token. */
  intent: z.string().max(1024).optional(),
  pep: pepSchema.optional(),
  correlation: correlationSchema.optional(),
  /**
   * The person driving the agent confirmed this exact call at the client (an MCP elicitation):
   * a step-up the PEP vouches for. Policy sees it as `context.auth.acr == "user_confirmation"`
   * with `age_seconds` counted from the confirmation.
   */
  confirmation: z.strictObject({ method: z.literal("elicitation"), confirmed_at: z.iso.datetime({ offset: true }) }).optional(),
  /**
   * What the enforcement point saw, recorded with the decision and not shown to policy: an HTTP
   * PEP's method, host, canonical path and matched route, and how it authenticated the caller.
   */
  observed: jsonObject.optional(),
});

export type DecisionRequest = z.infer<typeof decisionRequestSchema>;
export type SubjectRef = z.infer<typeof subjectRefSchema>;
