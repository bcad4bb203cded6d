// Reading decisions back: filters over the record index, one decision with its explanation and proof,
// and the enforcement results PEPs report against it.
import type { AppendOptions, Appended, Ledger } from "../ledger/index.js";
import type { PolicyStore } from "../policy/index.js";
import { ArbiterError, type Caller, type StoredRecord } from "../record/index.js";
import type { RecordQuery } from "../store/index.js";

export interface DecisionFilter {
  subject?: string;
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
  /** Enforcement results, approvals and other records that refer to this decision. */
  related: LoggedRecord[];
  proof: string;
}

export interface EnforcementReport {
  status: "executed" | "blocked" | "failed" | "held";
  pep: { id: string; kind: "mcp" | "http" | "api" | "cli" | "external" };
  upstream?: { status?: number; error?: string; bytes?: number };
  masked?: { fields: string[]; detectors: Record<string, number> };
  duration_ms?: number;
  correlation?: Record<string, string>;
}

const MAX_PAGE = 500;

export class DecisionLog {
  constructor(
    private readonly ledger: Ledger,
    private readonly policies: PolicyStore,
  ) {}

  private load(index: number): StoredRecord {
    return JSON.parse(this.ledger.entry(index).toString("utf8")) as StoredRecord;
  }

  list(filter: DecisionFilter): LoggedRecord[] {
    const query: RecordQuery = {
      kind: "decision",
      limit: Math.min(filter.limit ?? 50, MAX_PAGE),
      ...(filter.subject ? { subjectId: filter.subject } : {}),
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.resource ? { resourceId: filter.resource } : {}),
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
    return this.ledger.reader.queryRecords(query).map((loc) => ({ index: loc.index, record: this.load(loc.index) }));
  }

  find(id: string): LoggedRecord {
    const location = this.ledger.reader.locateRecord(id);
    if (!location || location.kind !== "decision") throw new ArbiterError("NOT_FOUND", `no decision ${JSON.stringify(id)} in the ledger`, { id });
    return { index: location.index, record: this.load(location.index) };
  }

  /** The decision, why it came out as it did (the determining policies as they were at that version), related records and an inclusion proof. */
  explain(id: string): ExplainedDecision {
    const found = this.find(id);
    const record = found.record as Extract<StoredRecord, { kind: "decision" }>;
    const set = this.policies.get(record.policy.set_version);
    const policies: PolicyExplanation[] = [];
    for (const policyId of record.policy.determining) {
      const rule = set?.rule(policyId);
      if (rule) policies.push({ id: rule.id, effect: rule.effect, reason: rule.reason, control: rule.control, note: rule.note, frameworks: rule.frameworks, text: rule.text });
    }
    const verb = { allow: "Allowed", deny: "Denied", challenge: "Challenged", error: "Not decided (error)" }[record.outcome];
    const by = record.policy.determining.length ? ` by ${record.policy.determining.join(", ")}` : " (no policy matched)";
    const related = this.ledger.reader
      .queryRecords({ decisionId: id, limit: MAX_PAGE })
      .filter((loc) => loc.index !== found.index)
      .map((loc) => ({ index: loc.index, record: this.load(loc.index) }))
      .reverse();
    return {
      ...found,
      explanation: {
        summary: `${verb}${by} under policy set ${record.policy.set_version}: ${record.reason_code} (${record.control}). ${record.note}`,
        policy_set_version: record.policy.set_version,
        policies,
        evaluated_version_known: set !== undefined,
      },
      related,
      proof: this.ledger.proveInclusion(found.index),
    };
  }

  /** Appends what the PEP did with a decision, linked by decision_id, and the subject/action/resource it applied to; `caller` is who reported it. */
  async report(decisionId: string, report: EnforcementReport, caller: Caller, options: Pick<AppendOptions, "deferred"> = {}): Promise<Appended> {
    const decision = this.find(decisionId).record as Extract<StoredRecord, { kind: "decision" }>;
    return this.ledger.append({
      kind: "enforcement",
      decision_id: decisionId,
      subject: decision.subject.type === "unknown" ? undefined : decision.subject,
      action: decision.action,
      resource: decision.resource,
      pep: report.pep,
      caller,
      status: report.status,
      ...(report.upstream ? { upstream: report.upstream } : {}),
      ...(report.masked ? { masked: report.masked } : {}),
      ...(report.duration_ms !== undefined ? { duration_ms: report.duration_ms } : {}),
      correlation: { ...(decision.correlation ?? {}), ...(report.correlation ?? {}), parent_decision_id: decisionId },
    }, options);
  }
}
