// Reading decisions back: filters over the record index, one decision with its explanation and proof,
// and the enforcement results PEPs report against it.
import type { AppendOptions, Appended, Ledger } from "../ledger/index.js";
import type { PolicyStore } from "../policy/index.js";
import { ArbiterError, type Caller, type StoredRecord } from "../record/index.js";
import type { RecordCount, RecordFilter, RecordQuery, TimeBucket } from "../store/index.js";
import type { ApprovalRepository } from "../store/index.js";
import { enforcementRecord } from "./enforcement-record.js";
import type { GrantRepository } from "../store/index.js";
import type { RecentDecisions } from "./recent-decisions.js";
import { approvalView, grantView } from "./views.js";

export interface DecisionFilter {
  subject?: string;
  /** The subject's identity type and owner as each decision recorded them. */
  subjectType?: string;
  owner?: string;
  action?: string;
  resource?: string;
  outcome?: string;
  reason?: string;
  control?: string;
  policy?: string;
  policyVersion?: string;
  trace?: string;
  task?: string;
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

export interface LoggedRecord {
  index: number;
  record: StoredRecord;
}

export interface PolicyExplanation {
  id: string;
  effect: "permit" | "forbid";
  reason: string;
  control: string;
  note: string;
  frameworks: string[];
  text: string;
}

export interface ExplainedDecision extends LoggedRecord {
  explanation: { summary: string; policy_set_version: string; policies: PolicyExplanation[]; evaluated_version_known: boolean };
  /**
   * Enforcement results, approvals and other records that refer to this decision, oldest first;
   * for a decision made on a grant, also the records of the approval request behind the grant.
   */
  related: LoggedRecord[];
  /** The approval request this decision opened, waited on or was allowed by, as it stands now. */
  approval?: Record<string, unknown>;
  /** The grant this decision used, or the approval issued, as it stands now (uses left, state). */
  grant?: Record<string, unknown>;
  proof: string;
}

/** Where approvals and grants stand now; without them, explain shows the ledger alone. */
export interface ApprovalBooks {
  approvals: ApprovalRepository;
  grants: GrantRepository;
}

type DecisionRecord = Extract<StoredRecord, { kind: "decision" }>;

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export interface EnforcementReport {
  status: "executed" | "blocked" | "failed" | "held";
  pep: { id: string; kind: "mcp" | "http" | "api" | "cli" | "external" };
  upstream?: { status?: number; error?: string; bytes?: number };
  masked?: { fields: string[]; detectors: Record<string, number> };
  duration_ms?: number;
  correlation?: Record<string, string>;
}

/** The record-index filter of a decision filter; `redact` turns text into its stored (redacted) form. */
function recordFilter(filter: DecisionFilter, redact: (text: string) => string): RecordFilter {
  return {
    kind: "decision",
    ...(filter.subject ? { subjectId: filter.subject } : {}),
    ...(filter.subjectType ? { subjectType: filter.subjectType } : {}),
    ...(filter.owner ? { subjectOwner: filter.owner } : {}),
    ...(filter.action ? { action: filter.action } : {}),
    // Searched as stored: a resource id holding a secret is found by the id as the PEP sent it.
    ...(filter.resource ? { resourceId: redact(filter.resource) } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.reason ? { reasonCode: filter.reason } : {}),
    ...(filter.control ? { control: filter.control } : {}),
    ...(filter.policy ? { policyId: filter.policy } : {}),
    ...(filter.policyVersion ? { policyVersion: filter.policyVersion } : {}),
    ...(filter.trace ? { traceId: filter.trace } : {}),
    ...(filter.task ? { taskId: filter.task } : {}),
    ...(filter.from ? { from: filter.from } : {}),
    ...(filter.to ? { to: filter.to } : {}),
    ...(filter.before !== undefined ? { before: filter.before } : {}),
  };
}

const MAX_PAGE = 500;

export class DecisionLog {
  constructor(
    private readonly ledger: Ledger,
    private readonly policies: PolicyStore,
    private readonly books?: ApprovalBooks,
    /** Decisions this process just recorded (the engine's): a report on one of them needs no read of the store. */
    private readonly recent?: RecentDecisions,
  ) {}

  private load(index: number): StoredRecord {
    return JSON.parse(this.ledger.entry(index).toString("utf8")) as StoredRecord;
  }

  list(filter: DecisionFilter): LoggedRecord[] {
    const query: RecordQuery = { ...recordFilter(filter, (text) => this.ledger.redactText(text)), limit: Math.min(filter.limit ?? 50, MAX_PAGE) };
    return this.ledger.reader.queryRecords(query).map((loc) => ({ index: loc.index, record: this.load(loc.index) }));
  }

  /** Matching decisions counted per time bucket, outcome and control (the console's charts). */
  counts(filter: Omit<DecisionFilter, "before" | "limit">, bucket: TimeBucket): RecordCount[] {
    return this.ledger.reader.countRecords(recordFilter(filter, (text) => this.ledger.redactText(text)), bucket);
  }

  find(id: string): LoggedRecord {
    const location = this.ledger.reader.locateRecord(id);
    if (!location || location.kind !== "decision") throw new ArbiterError("NOT_FOUND", `no decision ${JSON.stringify(id)} in the ledger`, { id });
    return { index: location.index, record: this.load(location.index) };
  }

  /** The decision, why it came out as it did (the determining policies as they were at that version), related records and an inclusion proof. */
  explain(id: string): ExplainedDecision {
    const found = this.find(id);
    const record = found.record as DecisionRecord;
    const set = this.policies.get(record.policy.set_version);
    const policies: PolicyExplanation[] = [];
    for (const policyId of record.policy.determining) {
      const rule = set?.rule(policyId);
      if (rule) policies.push({ id: rule.id, effect: rule.effect, reason: rule.reason, control: rule.control, note: rule.note, frameworks: rule.frameworks, text: rule.text });
    }
    const verb = { allow: "Allowed", deny: "Denied", challenge: "Challenged", error: "Not decided (error)" }[record.outcome];
    const by = record.policy.determining.length ? ` by ${record.policy.determining.join(", ")}` : " (no policy matched)";
    const related = this.relatedTo(id, found.index);
    const requestId = record.approval?.request_id ?? record.approval_request?.request_id;
    const request = requestId === undefined ? undefined : this.books?.approvals.get(requestId);
    // A decision allowed by a grant refers to the approval; the approval's records refer to the challenge that opened it.
    if (request && request.decisionId !== id) {
      const known = new Set(related.map((r) => r.index));
      const approvals = this.relatedTo(request.decisionId, found.index).filter((r) => r.record.kind === "approval" && r.record.request_id === request.id && !known.has(r.index));
      related.push(...approvals);
      related.sort((a, b) => a.index - b.index);
    }
    const approved = related.find((r) => r.record.kind === "approval" && r.record.state === "approved");
    const grantId = record.grant?.id ?? text(approved?.record.attributes?.grant_id);
    const grant = grantId === undefined ? undefined : this.books?.grants.get(grantId);
    return {
      ...found,
      explanation: {
        summary: `${verb}${by} under policy set ${record.policy.set_version}: ${record.reason_code} (${record.control}). ${record.note}`,
        policy_set_version: record.policy.set_version,
        policies,
        evaluated_version_known: set !== undefined,
      },
      related,
      ...(request ? { approval: approvalView(request) } : {}),
      ...(grant ? { grant: grantView(grant) } : {}),
      proof: this.ledger.proveInclusion(found.index),
    };
  }

  /** Records that refer to decision `id` (enforcement results, approval records), oldest first, the decision at `self` left out. */
  private relatedTo(id: string, self: number): LoggedRecord[] {
    return this.ledger.reader
      .queryRecords({ decisionId: id, limit: MAX_PAGE })
      .filter((loc) => loc.index !== self)
      .map((loc) => ({ index: loc.index, record: this.load(loc.index) }))
      .reverse();
  }

  /**
   * Appends what the PEP did with a decision, linked by decision_id, and the subject/action/resource it
   * applied to; `caller` is who reported it. `built`: the report comes from a PEP in this process, whose
   * reports enforcementRecord always turns into a valid record, so the schema parse is skipped; a
   * report that came over the network is parsed like any outside input.
   */
  async report(decisionId: string, report: EnforcementReport, caller: Caller, options: Pick<AppendOptions, "deferred"> & { built?: boolean } = {}): Promise<Appended> {
    const decision = this.recent?.get(decisionId) ?? (this.find(decisionId).record as DecisionRecord);
    const record = enforcementRecord(decisionId, decision, report, caller);
    const append = { ...(options.deferred !== undefined ? { deferred: options.deferred } : {}) };
    return options.built ? this.ledger.appendBuilt(record, append) : this.ledger.append(record, append);
  }
}
