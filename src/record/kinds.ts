// The body of each record kind; schema.ts adds the common envelope. A new kind is one entry here and one line there.
import { z } from "zod";
import {
  approvalRefSchema,
  argsDigestSchema,
  callerSchema,
  correlationSchema,
  breakGlassSchema,
  countSchema,
  credentialSchema,
  delegationSchema,
  detectorCountsSchema,
  digestSchema,
  grantRefSchema,
  importedSubjectSchema,
  obligationSchema,
  pepSchema,
  policySchema,
  recordIdSchema,
  resourceSchema,
  subjectSchema,
  textSchema,
} from "./parts.js";
import { jsonObjectSchema } from "./json-value.js";
import { decisionReasonCodeSchema, isFinding, REASON_CODES, type FindingCode } from "./reason-codes.js";
import { timestampSchema } from "./time.js";
import { controlSchema, outcomeSchema } from "./vocabulary.js";

/** In `evaluated`: a free-form part committed whole, because the inputs would have crowded the leaf. */
export const SIZE_MARKER = "[MASKED:size]";
/** An attributes or context object as policy saw it, or the marker that stands for it whole. */
const freeFormSchema = z.union([jsonObjectSchema, z.literal(SIZE_MARKER)]);

/**
 * What policy was evaluated on, so the decision can be replayed: values the detectors or the
 * schema's `@sensitive` mark are markers here, their salted commitments in `commitments`.
 */
const evaluatedSchema = z.strictObject({
  principal: z.strictObject({ status: textSchema, attributes: freeFormSchema.optional() }),
  resource: z.strictObject({ attributes: freeFormSchema.optional(), parents: z.array(z.strictObject({ type: textSchema, id: textSchema })).optional() }).optional(),
  context: freeFormSchema.optional(),
  intent: textSchema.optional(),
  auth: z.strictObject({ method: textSchema, age_seconds: countSchema, acr: z.string() }),
  trace_id: textSchema.optional(),
  /** The policy's own verdict, when a gate, grant, limit or break-glass made the applied outcome differ. */
  verdict: z.strictObject({ outcome: outcomeSchema, reason_code: decisionReasonCodeSchema, determining: z.array(textSchema) }).optional(),
});

/** A decision Arbiter's PDP made and a PEP applied. */
const decision = {
  kind: z.literal("decision"),
  /** `unknown` type only when the caller could not be identified (CREDENTIAL_INVALID, UNKNOWN_PRINCIPAL). */
  subject: importedSubjectSchema,
  delegation: delegationSchema.optional(),
  action: textSchema,
  resource: resourceSchema,
  pep: pepSchema.optional(),
  /** Who asked, as authenticated (absent in records written before it was recorded). */
  caller: callerSchema.optional(),
  outcome: outcomeSchema,
  control: controlSchema,
  reason_code: decisionReasonCodeSchema,
  note: textSchema,
  policy: policySchema,
  obligations: z.array(obligationSchema).optional(),
  grant: grantRefSchema.optional(),
  approval: approvalRefSchema.optional(),
  break_glass: breakGlassSchema.optional(),
  /** Seconds until a rate-limited or held call may be retried. */
  retry_after: countSchema.optional(),
  /** Binds the decision to the exact arguments (see argsDigestSchema). */
  args_digest: argsDigestSchema.optional(),
  /** On a challenge for approval: the request the approver will decide. */
  approval_request: z.strictObject({ request_id: textSchema, expires_at: timestampSchema }).optional(),
  /** On a step-up challenge: what a fresh credential must show. */
  step_up: z.strictObject({ max_auth_age: countSchema.optional(), acr: textSchema.optional() }).optional(),
  /** The inputs policy was evaluated on (absent in records written before they were recorded, and for refusals policy never saw). */
  evaluated: evaluatedSchema.optional(),
};

/** What a PEP did with a decision, linked to it by decision_id. */
const enforcement = {
  kind: z.literal("enforcement"),
  decision_id: recordIdSchema,
  subject: subjectSchema.optional(),
  action: textSchema.optional(),
  resource: resourceSchema.optional(),
  pep: pepSchema,
  /** Who reported it, as authenticated (absent in records written before it was recorded). */
  caller: callerSchema.optional(),
  status: z.enum(["executed", "blocked", "failed", "held"]),
  upstream: z
    .strictObject({
      /** HTTP status, or the JSON-RPC error code of an MCP upstream. */
      status: z.number().int().optional(),
      error: textSchema.optional(),
      /** Bytes of the response body sent on to the caller (Arbiter's reverse proxy). */
      bytes: z.number().int().min(0).optional(),
    })
    .optional(),
  masked: z
    .strictObject({
      fields: z.array(textSchema),
      detectors: detectorCountsSchema,
    })
    .optional(),
  duration_ms: z.number().min(0).optional(),
};

const approval = {
  kind: z.literal("approval"),
  request_id: textSchema,
  state: z.enum(["requested", "approved", "denied", "expired"]),
  requester: subjectSchema,
  approver: textSchema.optional(),
  action: textSchema,
  resource: resourceSchema,
  args_digest: argsDigestSchema.optional(),
  policy_set_version: textSchema.optional(),
  expires_at: timestampSchema,
  /** A human sentence shown to the approver; not a secret (secrets go in `sensitive`). */
  justification: textSchema.optional(),
};

const grant = {
  kind: z.literal("grant"),
  grant_id: textSchema,
  state: z.enum(["issued", "used", "expired", "revoked"]),
  subject: subjectSchema,
  action: textSchema,
  resource: resourceSchema,
  args_digest: argsDigestSchema.optional(),
  approval_request_id: textSchema.optional(),
  uses_remaining: countSchema.optional(),
  expires_at: timestampSchema,
};

const lifecycle = {
  kind: z.literal("lifecycle"),
  event: z.enum([
    "created",
    "credential_issued",
    "rotated",
    "suspended",
    "reactivated",
    "revoked",
    "offboarded",
    "owner_changed",
    "updated",
    "task_completed",
  ]),
  identity: subjectSchema,
  actor: subjectSchema,
  /** The actor and how it was determined (absent in records written before it was recorded). */
  caller: callerSchema.optional(),
  credential: credentialSchema.optional(),
  note: textSchema.optional(),
};

const policyChange = {
  kind: z.literal("policy_change"),
  from_version: textSchema.nullable(),
  to_version: textSchema,
  actor: subjectSchema,
  /** The actor and how it was determined (absent in records written before it was recorded). */
  caller: callerSchema.optional(),
  diff_hash: digestSchema,
  note: textSchema.optional(),
};

/** A decision of another decision point, or an event from another system's log. */
const imported = {
  kind: z.literal("imported"),
  source: z.strictObject({
    system: textSchema,
    id: textSchema.optional(),
    file: textSchema.optional(),
    line: z.number().int().min(1).optional(),
  }),
  subject: importedSubjectSchema,
  action: textSchema,
  resource: resourceSchema,
  outcome: outcomeSchema.optional(),
  reason_code: decisionReasonCodeSchema.optional(),
  policy: policySchema.optional(),
  original_time: timestampSchema.optional(),
};

/** An event an enforcement point outside this process reported (`arbiter log append`). */
const event = {
  kind: z.literal("event"),
  source: textSchema,
  subject: subjectSchema,
  /** For Arbiter's own events (break-glass end and review, erasure): the subject and how it was determined. */
  caller: callerSchema.optional(),
  action: textSchema,
  resource: resourceSchema,
  outcome: outcomeSchema,
  control: controlSchema.optional(),
  reason_code: decisionReasonCodeSchema.optional(),
  note: textSchema.optional(),
  pep: pepSchema.optional(),
  policy: policySchema.optional(),
  delegation: delegationSchema.optional(),
};

/** Only the finding codes: what a `finding` record names (a decision never carries one). */
const findingReasonCodeSchema = z.enum(
  (Object.keys(REASON_CODES) as (keyof typeof REASON_CODES)[]).filter(isFinding) as [FindingCode, ...FindingCode[]],
);

/** What an outside log says happened: the source's own outcome, or what a service behind a PEP did. */
const eventOutcomeSchema = z.enum(["allow", "deny", "error", "unknown", "executed", "failed"]);

/** Where linkage read an event: the system, the file and the line (or record number in a JSON document). */
const eventSourceSchema = z.strictObject({
  system: textSchema,
  file: textSchema.optional(),
  line: z.number().int().min(1).optional(),
});

/** One outside event and the decision that explains it; ids and keys only, never the raw event. */
const linkedEventSchema = z.strictObject({
  line: z.number().int().min(1),
  event_id: textSchema.optional(),
  time: timestampSchema,
  subject: textSchema,
  action: textSchema,
  resource: textSchema,
  outcome: eventOutcomeSchema,
  decision_id: recordIdSchema,
  key: z.enum(["decision_id", "trace_id", "credential", "subject_action_resource"]),
  confidence: z.number().min(0).max(1),
  /** The W3C trace-id the event carried, so one request's story can be told from the ledger. */
  trace_id: correlationSchema.shape.trace_id,
});

/**
 * Outside events joined to decisions by one linkage run. Several links share a leaf because one
 * leaf per event caps a run at the ledger's append rate (measured: ~23k small records/s).
 */
const link = {
  kind: z.literal("link"),
  run_id: textSchema,
  source: eventSourceSchema.omit({ line: true }),
  links: z.array(linkedEventSchema).min(1).max(256),
};

/** Something linkage found that no decision explains, or that contradicts the decision that does. */
const finding = {
  kind: z.literal("finding"),
  run_id: textSchema,
  reason_code: findingReasonCodeSchema,
  control: controlSchema,
  subject: importedSubjectSchema,
  action: textSchema,
  resource: resourceSchema,
  event: z.strictObject({
    source: eventSourceSchema,
    id: textSchema.optional(),
    time: timestampSchema,
    outcome: eventOutcomeSchema,
  }),
  /** The decision the event was linked to, when there is one. */
  decision_id: recordIdSchema.optional(),
  /** What was checked: the boundary and the event time, the key used, the bound and the actual values. */
  evidence: jsonObjectSchema,
  note: textSchema,
};

/**
 * One attempt to tell approvers that an approval request opened (a webhook POST), whatever became
 * of it: an auditor sees who was told, when, and every failure. Where it went is named by the
 * webhook's name and origin only, since a webhook's path or query may be its credential.
 */
const notification = {
  kind: z.literal("notification"),
  approval_request_id: textSchema,
  /** The same for every attempt of one delivery, and sent to the receiver, which can drop repeats. */
  delivery_id: textSchema,
  // format and origin are absent only from the record of a delivery dropped because no webhook of its name is configured any more.
  channel: z.strictObject({ name: textSchema, format: z.enum(["json", "slack"]).optional(), origin: textSchema.optional() }),
  attempt: z.number().int().min(1),
  outcome: z.enum(["delivered", "failed", "dropped"]),
  /** True when no further attempt follows (delivered, given up, or not retried). */
  final: z.boolean(),
  /** The receiver's HTTP status, when it answered. */
  status: z.number().int().optional(),
  error: textSchema.optional(),
  duration_ms: z.number().min(0).optional(),
};

export const KIND_SHAPES = {
  decision,
  enforcement,
  approval,
  grant,
  lifecycle,
  policy_change: policyChange,
  imported,
  event,
  link,
  finding,
  notification,
};
