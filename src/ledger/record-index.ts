// The query columns of a record, derived from its stored form (never the other way round).
import type { StoredRecord } from "../record/index.js";
import type { RecordIndexFields } from "../store/index.js";

type Loose = Record<string, unknown>;

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function at(record: Loose, ...path: string[]): unknown {
  let value: unknown = record;
  for (const key of path) value = typeof value === "object" && value !== null ? (value as Loose)[key] : undefined;
  return value;
}

export function indexFieldsOf(stored: StoredRecord): RecordIndexFields {
  const record = stored as unknown as Loose;
  const kind = stored.kind;
  const policy = at(record, "policy", "determining");
  return {
    subjectId: text(at(record, "subject", "id") ?? at(record, "identity", "id") ?? at(record, "requester", "id")),
    action: text(record.action),
    resourceId: text(at(record, "resource", "id")),
    outcome: text(record.outcome ?? record.status ?? record.state),
    reasonCode: text(record.reason_code),
    control: text(record.control),
    policyVersion: text(at(record, "policy", "set_version") ?? record.policy_set_version ?? record.to_version),
    determining: Array.isArray(policy) ? policy.filter((id): id is string => typeof id === "string") : [],
    traceId: text(at(record, "correlation", "trace_id")),
    taskId: text(at(record, "correlation", "task_id")),
    decisionId: kind === "decision" ? stored.id : text(record.decision_id ?? at(record, "correlation", "parent_decision_id")),
    subjectType: kind === "decision" ? text(at(record, "subject", "type")) : null,
    subjectOwner: kind === "decision" ? text(at(record, "subject", "owner")) : null,
  };
}
