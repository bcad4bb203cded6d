// A ledger record as an OCSF API Activity event (class 6003, schema 1.3.0): the mapping a SIEM reads,
// beside the leaf itself in raw_data. Pure: the same entry always gives the same event.
import { indexFieldsOf } from "../ledger/index.js";
import type { StoredRecord } from "../record/index.js";
import type { OutgoingEntry } from "./entry.js";

export const OCSF_VERSION = "1.3.0";
/** OCSF API Activity: category 6 (Application Activity), class 6003; type_uid = class_uid * 100 + activity_id. */
const CATEGORY_UID = 6;
const CLASS_UID = 6003;

/** OCSF API Activity activity_id values. */
const ACTIVITIES = { unknown: 0, create: 1, read: 2, update: 3, delete: 4, other: 99 } as const;
const ACTIVITY_NAMES: Record<number, string> = { 0: "Unknown", 1: "Create", 2: "Read", 3: "Update", 4: "Delete" };

/** The first word of an action that says which CRUD operation it is (tool names, HTTP methods, Cedar actions). */
const VERBS: Record<string, number> = {
  ...Object.fromEntries(["create", "add", "post", "insert", "new", "upload", "register"].map((v) => [v, ACTIVITIES.create])),
  ...Object.fromEntries(["read", "get", "list", "search", "view", "fetch", "query", "describe", "show", "download", "head", "find"].map((v) => [v, ACTIVITIES.read])),
  ...Object.fromEntries(["update", "write", "edit", "patch", "put", "set", "modify", "rename", "move", "replace"].map((v) => [v, ACTIVITIES.update])),
  ...Object.fromEntries(["delete", "remove", "rm", "destroy", "drop", "purge", "erase"].map((v) => [v, ACTIVITIES.delete])),
};

/** OCSF status_id: 1 Success, 2 Failure, 99 Other, 0 Unknown. */
const OUTCOME_STATUS: Record<string, [number, string]> = {
  allow: [1, "Success"],
  executed: [1, "Success"],
  deny: [2, "Failure"],
  error: [2, "Failure"],
  blocked: [2, "Failure"],
  failed: [2, "Failure"],
  challenge: [99, "Challenge"],
  held: [99, "Held"],
};

type Loose = Record<string, unknown>;

function obj(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Drops undefined members, so the OTLP body holds only what the record says. */
function compact(value: Loose): Loose {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export function activityOf(action: string | undefined): { id: number; name: string } {
  if (action === undefined) return { id: ACTIVITIES.other, name: "Other" };
  const verb = action.toLowerCase().split(/[^a-z0-9]+/).find((word) => word !== "");
  const id = (verb !== undefined ? VERBS[verb] : undefined) ?? ACTIVITIES.other;
  return { id, name: ACTIVITY_NAMES[id] ?? action };
}

function user(subject: Loose | undefined): Loose | undefined {
  if (subject === undefined) return undefined;
  return compact({ uid: str(subject.id), type: str(subject.type), credential_uid: str(obj(subject.credential)?.id), org: str(subject.owner) !== undefined ? { owner_uid: str(subject.owner) } : undefined });
}

/** Who acted: the subject of a decision, the approver of an approval, the actor of a lifecycle or policy change. */
function actorUser(record: Loose): Loose | undefined {
  if (record.kind === "approval") return str(record.approver) !== undefined ? { uid: record.approver } : user(obj(record.requester));
  if (record.kind === "lifecycle" || record.kind === "policy_change") return user(obj(record.actor));
  return user(obj(record.subject));
}

function resourcesOf(record: Loose): Loose[] | undefined {
  if (record.kind === "lifecycle") return [compact({ uid: str(obj(record.identity)?.id), type: "Identity" })];
  if (record.kind === "policy_change") return [compact({ uid: str(record.to_version), type: "PolicySet" })];
  const resource = obj(record.resource);
  if (resource === undefined) return undefined;
  const sensitivity = str(resource.sensitivity);
  return [compact({ uid: str(resource.id), type: str(resource.type), labels: sensitivity !== undefined ? [`sensitivity:${sensitivity}`] : undefined })];
}

/** What happened to it, for records that are not a call: the state or event they record. */
function eventWord(record: Loose): string | undefined {
  return str(record.state) ?? str(record.event) ?? str(record.status);
}

export interface OcsfEvent {
  event: Loose;
  /** OTLP log attributes: the keys a SIEM filters on without parsing the body. */
  attributes: Record<string, string | number>;
  time: number;
}

export function ocsfApiActivity(entry: OutgoingEntry, origin: string): OcsfEvent {
  const record: Loose = entry.record ?? {};
  const kind = entry.kind ?? "unknown";
  const fields = entry.record !== undefined ? indexFieldsOf(entry.record as unknown as StoredRecord) : undefined;
  const action = str(record.action);
  const activity = entry.kind === "lifecycle" || entry.kind === "policy_change" || entry.kind === "link" ? { id: ACTIVITIES.other, name: [kind, eventWord(record)].filter(Boolean).join(" ") } : activityOf(action);
  const [statusId, status] = OUTCOME_STATUS[str(record.outcome) ?? str(record.status) ?? ""] ?? (entry.kind === undefined ? [0, "Unknown"] : [1, "Success"]);
  const policy = obj(record.policy);
  const version = fields?.policyVersion ?? undefined;
  const determining = fields?.determining ?? [];
  const pep = obj(record.pep);
  const timeText = str(record.time);
  const time = timeText !== undefined && Number.isFinite(Date.parse(timeText)) ? Date.parse(timeText) : 0;
  const decision = str(record.outcome);
  const authorizations =
    policy !== undefined || version !== undefined
      ? (determining.length > 0 ? determining : [undefined]).map((uid) => compact({ decision, policy: compact({ uid, version }) }))
      : undefined;
  const event = compact({
    class_uid: CLASS_UID,
    class_name: "API Activity",
    category_uid: CATEGORY_UID,
    category_name: "Application Activity",
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: CLASS_UID * 100 + activity.id,
    time,
    severity_id: 1,
    severity: "Informational",
    status_id: statusId,
    status,
    status_code: fields?.reasonCode ?? undefined,
    status_detail: str(record.note) ?? eventWord(record),
    message: str(record.note),
    actor: compact({ user: actorUser(record), app_name: str(pep?.id), authorizations }),
    api: compact({ operation: action ?? [kind, eventWord(record)].filter(Boolean).join("."), request: compact({ uid: str(record.id) }), service: str(obj(record.resource)?.owner_system) !== undefined ? { name: str(obj(record.resource)?.owner_system) } : undefined }),
    resources: resourcesOf(record),
    src_endpoint: pep !== undefined ? compact({ uid: str(pep.id), svc_name: str(pep.kind) }) : { svc_name: "arbiter" },
    metadata: compact({
      version: OCSF_VERSION,
      product: { name: "Arbiter", vendor_name: "Arbiter" },
      uid: str(record.id),
      log_name: origin,
      sequence: entry.index,
      correlation_uid: fields?.traceId ?? undefined,
    }),
    unmapped: compact({ kind, control: str(record.control), leaf_hash: entry.leafHash }),
    raw_data: entry.data.toString("utf8"),
  });
  const attributes: Record<string, string | number> = { "arbiter.ledger.index": entry.index, "arbiter.ledger.leaf_hash": entry.leafHash, "arbiter.record.kind": kind };
  const extra: [string, string | null | undefined][] = [
    ["arbiter.record.id", str(record.id)],
    ["arbiter.decision_id", fields?.decisionId],
    ["arbiter.reason_code", fields?.reasonCode],
    ["arbiter.policy_version", version],
  ];
  for (const [key, value] of extra) if (typeof value === "string") attributes[key] = value;
  return { event, attributes, time };
}
