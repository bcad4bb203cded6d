// The normalized event and foreign decision every importer produces, and the vocabularies they use.
import type { DecisionReasonCode, IdentityType, JsonValue, Outcome } from "../record/index.js";

export const LINK_FORMATS = ["cloudtrail", "k8s", "ocsf", "opa", "cerbos", "nginx", "caddy", "jsonl"] as const;
export type LinkFormat = (typeof LINK_FORMATS)[number];

/** What the source says happened; `executed`/`failed` come from services behind an enforcement point. */
export type EventOutcome = "allow" | "deny" | "error" | "unknown" | "executed" | "failed";

export type JoinKey = "decision_id" | "trace_id" | "credential" | "subject_action_resource";

/** Where an item was read: `line` is the record number inside a JSON document (a CloudTrail file). */
export interface Position {
  file: string;
  line: number;
}

/** One event of an outside log, reduced to what the join and the findings need. */
export interface LinkEvent {
  system: string;
  at: Position;
  /** The source's own id (CloudTrail eventID, Kubernetes auditID…), for duplicate detection. */
  originalId?: string;
  timeMs: number;
  /** `principal`: the source's fuller name for the subject when it differs from `id` (CloudTrail's ARN), for principal maps. */
  subject: { id: string; type: IdentityType; credentialId?: string; principal?: string };
  action: string;
  resource: { id: string; type?: string };
  outcome: EventOutcome;
  decisionId?: string;
  traceId?: string;
  spanId?: string;
  /** Arguments as the source logged them; hashed with the data directory's binding key. */
  args?: JsonValue;
  argsDigest?: string;
  grantId?: string;
}

/** A decision of another engine (OPA, Cerbos), mapped onto Arbiter's outcome and reason vocabulary. */
export interface ForeignDecision {
  engine: "opa" | "cerbos";
  at: Position;
  /** The engine's own id: OPA decision_id, Cerbos callId. */
  sourceId: string;
  /** Unique per decided (action, resource) within the source id, for duplicate detection. */
  originalId: string;
  timeMs: number;
  subject: { id: string };
  action: string;
  resource: { id: string; type?: string };
  outcome: Outcome;
  reason: DecisionReasonCode;
  policy: { set_version: string; determining: string[]; bundle_revision?: string };
  traceId?: string;
  spanId?: string;
}

/** Why an input line was not used; stable names, counted per run. */
export type SkipReason =
  | "invalid_json"
  | "truncated"
  | "invalid_encoding"
  | "too_long"
  | "wrong_format"
  | "missing_field"
  | "invalid_time"
  | "duplicate"
  | "unreadable";

/** What one parsed input value turned into. `ignore` is expected noise (a non-final Kubernetes stage), not an error. */
export type Imported =
  | { kind: "event"; event: LinkEvent }
  | { kind: "decision"; decision: ForeignDecision }
  | { kind: "skip"; reason: SkipReason; message: string }
  | { kind: "ignore"; reason: string };

export const skip = (reason: SkipReason, message: string): Imported => ({ kind: "skip", reason, message });

/** Events whose outcome shows they passed the source's own authorization, i.e. the action was attempted for real. */
export function reached(outcome: EventOutcome): boolean {
  return outcome !== "deny";
}

/** Events that show the action took effect. */
export function executed(outcome: EventOutcome): boolean {
  return outcome === "allow" || outcome === "executed";
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** W3C Trace Context `traceparent` (§3.2): version-trace_id-parent_id-flags; all-zero ids are invalid. */
export function parseTraceparent(value: unknown): { traceId: string; spanId: string } | undefined {
  if (typeof value !== "string") return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (m === null || m[1] === "ff" || m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return undefined;
  return { traceId: m[2] as string, spanId: m[3] as string };
}

/** A W3C trace-id given on its own (32 lowercase hex, not all zero). */
export function traceIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const id = value.trim().toLowerCase();
  return /^[0-9a-f]{32}$/.test(id) && id !== ZERO_TRACE ? id : undefined;
}

/** A lone UTF-16 surrogate (from a `\ud800` escape) is not I-JSON (RFC 7493) and cannot enter a record. */
const LONE_SURROGATE = /\p{Cs}/u;

export function wellFormed(...values: (string | undefined)[]): boolean {
  return values.every((value) => value === undefined || !LONE_SURROGATE.test(value));
}
