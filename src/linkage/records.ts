// The ledger records a linkage run writes: links in batches, one finding each, imported foreign decisions, the run itself.
import { REASON_CODES, type Caller, type JsonObject } from "../record/index.js";
import type { ForeignDecision, JoinKey, LinkEvent } from "./event.js";
import type { FindingDraft } from "./findings.js";

/** Who ran a linkage: the run record's subject, and with how it was determined, its caller. */
export interface RunActor {
  id: string;
  type: string;
  determined_by?: Caller["determined_by"];
  credential?: Caller["credential"];
}

/** Links per `link` record: ≈ 270 bytes each, so a leaf stays near 17 KiB, well under the 64 KiB limit. */
export const LINKS_PER_RECORD = 64;

export interface LinkEntry {
  line: number;
  event_id?: string;
  time: string;
  subject: string;
  action: string;
  resource: string;
  outcome: string;
  decision_id: string;
  key: JoinKey;
  confidence: number;
  trace_id?: string;
}

export const iso = (ms: number): string => new Date(ms).toISOString();

export function linkEntry(event: LinkEvent, time: string, decisionId: string, key: JoinKey, confidence: number): LinkEntry {
  return {
    line: event.at.line,
    ...(event.originalId !== undefined ? { event_id: event.originalId } : {}),
    time,
    subject: event.subject.id,
    action: event.action,
    resource: event.resource.id,
    outcome: event.outcome,
    decision_id: decisionId,
    key,
    confidence,
    ...(event.traceId !== undefined ? { trace_id: event.traceId } : {}),
  };
}

function correlationOf(traceId: string | undefined, spanId: string | undefined): Record<string, unknown> {
  if (traceId === undefined) return {};
  return { correlation: { trace_id: traceId, ...(spanId !== undefined ? { span_id: spanId } : {}) } };
}

export function findingRecord(
  id: string,
  runId: string,
  event: LinkEvent,
  draft: FindingDraft,
  options: { decisionId?: string; credentialKind?: "api_key" | "token" },
): Record<string, unknown> {
  const credentialId = event.subject.credentialId;
  return {
    kind: "finding",
    id,
    run_id: runId,
    reason_code: draft.code,
    control: REASON_CODES[draft.code].control,
    subject: {
      id: event.subject.id,
      type: event.subject.type,
      ...(credentialId !== undefined ? { credential: { id: credentialId, kind: options.credentialKind ?? "other" } } : {}),
    },
    action: event.action,
    resource: { id: event.resource.id, ...(event.resource.type !== undefined ? { type: event.resource.type } : {}) },
    event: {
      source: { system: event.system, file: event.at.file, line: event.at.line },
      ...(event.originalId !== undefined ? { id: event.originalId } : {}),
      time: iso(event.timeMs),
      outcome: event.outcome,
    },
    ...(options.decisionId !== undefined ? { decision_id: options.decisionId } : {}),
    evidence: draft.evidence,
    note: draft.note,
    ...correlationOf(event.traceId, event.spanId),
  };
}

export function importedRecord(id: string, runId: string, d: ForeignDecision): Record<string, unknown> & { id: string } {
  return {
    kind: "imported",
    id,
    source: { system: d.engine, id: d.sourceId, file: d.at.file, line: d.at.line },
    subject: { id: d.subject.id, type: "unknown" },
    action: d.action,
    resource: { id: d.resource.id, ...(d.resource.type !== undefined ? { type: d.resource.type } : {}) },
    outcome: d.outcome,
    reason_code: d.reason,
    policy: { ...d.policy, engine: d.engine },
    original_time: iso(d.timeMs),
    ...correlationOf(d.traceId, d.spanId),
    attributes: { run_id: runId },
  };
}

export function runRecord(id: string, runId: string, actor: RunActor, note: string, attributes: JsonObject): Record<string, unknown> {
  const { determined_by, credential } = actor;
  return {
    kind: "event",
    id,
    source: "linkage",
    subject: { id: actor.id, type: actor.type },
    ...(determined_by !== undefined ? { caller: { id: actor.id, type: actor.type, determined_by, ...(credential ? { credential: { id: credential.id, kind: credential.kind } } : {}) } } : {}),
    action: "linkage_run",
    resource: { id: runId, type: "linkage_run" },
    outcome: "allow",
    note,
    attributes,
  };
}
