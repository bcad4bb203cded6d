// Reusable record parts (subject, resource, policy, obligations…), each a strict schema so typos fail loudly.
import { z } from "zod";
import { COMMITMENT_PATTERN } from "./commitment.js";
import { findJsonProblem, mapSchema, type JsonValue } from "./json-value.js";
import { timestampSchema } from "./time.js";
import { identityTypeSchema, importedIdentityTypeSchema } from "./vocabulary.js";

/** A required string that says something. */
export const textSchema = z.string().min(1);
export const countSchema = z.number().int().min(0);

/** Record ids travel in URLs and CLI arguments, hence visible ASCII only. */
export const recordIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, { error: "expected 1 to 128 visible ASCII characters" });

/** A SHA-256 digest or commitment in text form. */
export const digestSchema = z
  .string()
  .regex(COMMITMENT_PATTERN, { error: 'expected "sha256:" followed by 64 lowercase hex digits' });

/**
 * The digest that binds an approval or grant to exact arguments. Keyed (HMAC-SHA256 with a secret
 * of the data directory) when Arbiter computes it, so that a short argument cannot be recovered
 * from a leaf by guessing; plain SHA-256 is accepted from outside writers.
 */
export const argsDigestSchema = z
  .string()
  .regex(/^(hmac-sha256|sha256):[0-9a-f]{64}$/, { error: 'expected "hmac-sha256:" or "sha256:" followed by 64 lowercase hex digits' });

/** Names of committed fields, e.g. "prompt" or "args.query". */
const FIELD_NAME = {
  pattern: /^[A-Za-z0-9_.$[\]-]{1,128}$/,
  problem: "a field name has 1 to 128 letters, digits or _ . $ [ ] -",
};

export const commitmentsSchema = mapSchema<string>(FIELD_NAME, (v) =>
  typeof v === "string" && COMMITMENT_PATTERN.test(v)
    ? undefined
    : 'expected "sha256:" followed by 64 lowercase hex digits',
);

/** Raw sensitive values by field name; they are replaced by commitments and never reach the leaf. */
export const sensitiveSchema = mapSchema<JsonValue>(FIELD_NAME, (v) => {
  const p = findJsonProblem(v);
  return p === undefined ? undefined : p.problem;
});

/** Names of data detectors, e.g. "email" or "aws_access_key". */
const DETECTOR_NAME = {
  pattern: /^[A-Za-z0-9_.:-]{1,64}$/,
  problem: "a detector name has 1 to 64 letters, digits or _ . : -",
};
const detectorNameSchema = z.string().regex(DETECTOR_NAME.pattern, { error: DETECTOR_NAME.problem });
/** Matches per detector: counts only, never the matched values. */
export const detectorCountsSchema = mapSchema<number>(DETECTOR_NAME, (v) =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : "expected a count (an integer, 0 or more)",
);

export const credentialSchema = z.strictObject({
  id: textSchema,
  kind: z.enum(["api_key", "token", "mtls", "oidc", "cloud_role", "other"]),
  expires_at: timestampSchema.optional(),
  issued_at: timestampSchema.optional(),
  /** The task a token was issued for (completing the task revoked it). */
  task: textSchema.optional(),
});

function subjectOf<T extends typeof identityTypeSchema | typeof importedIdentityTypeSchema>(type: T) {
  return z.strictObject({
    id: textSchema,
    type,
    owner: textSchema.optional(),
    groups: z.array(textSchema).optional(),
    credential: credentialSchema.optional(),
  });
}

/** Who acted (or, in lifecycle and policy_change records, who changed something). */
export const subjectSchema = subjectOf(identityTypeSchema);
/** Imported sources may not say what kind of identity acted, so `unknown` is allowed here only. */
export const importedSubjectSchema = subjectOf(importedIdentityTypeSchema);

/**
 * The chain the subject acts for, nearest first: agent B (subject) for agent A for user U is
 * [{id: A, on_behalf_of: U}, {id: U}]. An `on_behalf_of` followed by another link must name it.
 */
export const delegationSchema = z
  .array(
    z.strictObject({
      id: textSchema,
      type: identityTypeSchema,
      on_behalf_of: textSchema.optional(),
    }),
  )
  .min(1)
  .superRefine((chain, ctx) => {
    for (let i = 0; i + 1 < chain.length; i++) {
      const link = chain[i];
      const next = chain[i + 1];
      if (link?.on_behalf_of !== undefined && link.on_behalf_of !== next?.id) {
        ctx.addIssue({
          code: "custom",
          path: [i, "on_behalf_of"],
          message: `must name the next link of the chain, ${JSON.stringify(next?.id)}`,
        });
      }
    }
  });

/** How sensitive a resource is, in records, routes and upstream settings: the one list of levels. */
export const SENSITIVITY_LEVELS = ["public", "internal", "confidential", "restricted"] as const;
export type Sensitivity = (typeof SENSITIVITY_LEVELS)[number];
export const sensitivitySchema = z.enum(SENSITIVITY_LEVELS);

export function isSensitivity(value: unknown): value is Sensitivity {
  return typeof value === "string" && (SENSITIVITY_LEVELS as readonly string[]).includes(value);
}

export const resourceSchema = z.strictObject({
  id: textSchema,
  type: textSchema.optional(),
  sensitivity: sensitivitySchema.optional(),
  owner_system: textSchema.optional(),
});

/**
 * Who asked Arbiter for a decision, as Arbiter knows it (unlike `pep`, which is the label the request
 * claims): the identity whose bearer credential an API request carried (`determined_by: credential`),
 * or, for a process working on the data directory itself (`arbiter decide`, `mcp wrap`, the server's
 * own MCP gateway), the local account and how it was determined.
 */
export const callerSchema = z.strictObject({
  id: textSchema,
  type: identityTypeSchema,
  determined_by: z.enum(["credential", "actor_flag", "actor_env", "os_account"]),
  credential: credentialSchema.optional(),
});

/** The enforcement point that asked or acted. */
export const pepSchema = z.strictObject({
  id: textSchema,
  kind: z.enum(["mcp", "http", "api", "cli", "external"]),
});

export const policySchema = z.strictObject({
  set_version: textSchema,
  /** Ids of the policies that determined the outcome; empty for a default deny. */
  determining: z.array(textSchema),
  engine: z.enum(["arbiter", "opa", "cerbos", "other"]).optional(),
  bundle_revision: textSchema.optional(),
});

/** The just-in-time grant a decision relied on. */
export const grantRefSchema = z.strictObject({
  id: textSchema,
  expires_at: timestampSchema,
  uses_remaining: countSchema.optional(),
});

/** The approval a decision relied on. */
export const approvalRefSchema = z.strictObject({
  request_id: textSchema,
  approver: textSchema,
  decided_at: timestampSchema,
});

export const breakGlassSchema = z.strictObject({
  /** The break-glass session this decision ran under. */
  session_id: textSchema.optional(),
  justification_commitment: digestSchema.optional(),
  note: textSchema.optional(),
  expires_at: timestampSchema,
  review_required: z.literal(true),
});

export const obligationSchema = z.discriminatedUnion("type", [
  z
    .strictObject({
      type: z.literal("mask"),
      /** JSON paths of the fields to mask. */
      fields: z.array(textSchema),
      detectors: z.array(detectorNameSchema),
    })
    .refine((mask) => mask.fields.length + mask.detectors.length > 0, { error: "a mask names at least one field or detector" }),
  z.strictObject({ type: z.literal("rate"), remaining: countSchema, reset_at: timestampSchema }),
  z.strictObject({ type: z.literal("grant_use"), grant_id: textSchema }),
]);

/** W3C Trace Context: lowercase hex, and all-zero ids are invalid (§3.2.2.3, §3.2.2.4). */
export const correlationSchema = z.strictObject({
  trace_id: z
    .string()
    .regex(/^(?!0{32})[0-9a-f]{32}$/, { error: "expected 32 lowercase hex digits, not all zero (W3C trace-id)" })
    .optional(),
  span_id: z
    .string()
    .regex(/^(?!0{16})[0-9a-f]{16}$/, { error: "expected 16 lowercase hex digits, not all zero (W3C parent-id)" })
    .optional(),
  parent_decision_id: recordIdSchema.optional(),
  task_id: textSchema.optional(),
  request_id: textSchema.optional(),
});

export type Credential = z.infer<typeof credentialSchema>;
export type Subject = z.infer<typeof importedSubjectSchema>;
export type Delegation = z.infer<typeof delegationSchema>;
export type Resource = z.infer<typeof resourceSchema>;
export type Pep = z.infer<typeof pepSchema>;
export type Caller = z.infer<typeof callerSchema>;
export type Policy = z.infer<typeof policySchema>;
export type Obligation = z.infer<typeof obligationSchema>;
export type Correlation = z.infer<typeof correlationSchema>;
