// Replaying recorded decisions: under their own recorded policy version (every verdict must come out
// the same) or under a candidate set (what would change), from the inputs each record carries.
import type { Ledger } from "../ledger/index.js";
import { buildCedarRequest, PolicyEngine, type PolicySet, type PolicyStore } from "../policy/index.js";
import { isArbiterError, verifyCommitment, type DecisionRecord, type JsonValue, type Outcome } from "../record/index.js";
import { restoreInputs } from "./evaluated.js";
import { judge } from "./policy-verdict.js";

export interface ReplayOptions {
  /** Decisions recorded at or after this time (RFC 3339, normalised). */
  from?: string;
  /** Decisions recorded before this time (exclusive). */
  to?: string;
  /** Evaluate under this set instead of each decision's own recorded version. */
  candidate?: PolicySet;
  /** Samples kept per group (default 5). */
  samples?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface VerdictView {
  outcome: Outcome;
  /** A decision reason code, or the error code of a request the set refused before Cedar (UNKNOWN_ACTION, …). */
  reason_code: string;
  determining: string[];
}

export interface ReplaySample {
  decision_id: string;
  index: number;
  time: string;
  subject: string;
  action: string;
  resource: string;
  policy_set_version: string;
  recorded: VerdictView;
  replayed: VerdictView;
}

export interface ReplayReport {
  mode: "recorded" | "candidate";
  candidate_version?: string;
  from?: string;
  to?: string;
  /** Decision records in the range. */
  decisions: number;
  replayed: number;
  /** Replayed with the recorded verdict (recorded mode), or unchanged (candidate mode). */
  same: number;
  /** Recorded mode: each a finding, the decision could not be reproduced. */
  mismatches: { count: number; samples: ReplaySample[] };
  /** Candidate mode: outcome transitions (allow → deny, deny → allow, …) with counts and samples. */
  changes: { from: Outcome; to: Outcome | "error"; count: number; samples: ReplaySample[] }[];
  /** Candidate mode: same outcome, another reason or other determining policies. */
  reasons_changed: { count: number; samples: ReplaySample[] };
  not_replayable: { reason: string; count: number; samples: string[] }[];
}

export const NOT_REPLAYABLE = {
  noInputs: "no evaluated inputs: a refusal made before policy was asked, or a record written before inputs were kept",
  erased: "committed inputs were erased, so the request cannot be rebuilt",
  noVersion: "its policy set version is not stored in this data directory",
} as const;

const PAGE = 500;

/** Policy's verdict as the record states it: `evaluated.verdict` when a gate, grant, limit or break-glass changed the applied outcome. */
function recordedVerdict(record: DecisionRecord): VerdictView {
  const v = record.evaluated?.verdict;
  return v ? { outcome: v.outcome, reason_code: v.reason_code, determining: [...v.determining].sort() } : { outcome: record.outcome, reason_code: record.reason_code, determining: [...record.policy.determining].sort() };
}

const sameVerdict = (a: VerdictView, b: VerdictView) => a.outcome === b.outcome && a.reason_code === b.reason_code && a.determining.join("\n") === b.determining.join("\n");

export class Replayer {
  private readonly engines = new Map<string, PolicyEngine>();

  constructor(
    private readonly ledger: Ledger,
    private readonly policies: PolicyStore,
  ) {}

  run(options: ReplayOptions = {}): ReplayReport {
    const keep = options.samples ?? 5;
    const report: ReplayReport = {
      mode: options.candidate ? "candidate" : "recorded",
      ...(options.candidate ? { candidate_version: options.candidate.version } : {}),
      ...(options.from ? { from: options.from } : {}),
      ...(options.to ? { to: options.to } : {}),
      decisions: 0,
      replayed: 0,
      same: 0,
      mismatches: { count: 0, samples: [] },
      changes: [],
      reasons_changed: { count: 0, samples: [] },
      not_replayable: [],
    };
    const skip = (reason: string, id: string) => {
      let group = report.not_replayable.find((g) => g.reason === reason);
      if (!group) report.not_replayable.push((group = { reason, count: 0, samples: [] }));
      group.count++;
      if (group.samples.length < keep) group.samples.push(id);
    };
    const indices = this.locate(options);
    report.decisions = indices.length;
    try {
      indices.forEach((index, done) => {
        const record = JSON.parse(this.ledger.entry(index).toString("utf8")) as DecisionRecord;
        this.replayOne(index, record, options.candidate, report, keep, skip);
        options.onProgress?.(done + 1, indices.length);
      });
    } finally {
      for (const engine of this.engines.values()) engine.dispose();
      this.engines.clear();
    }
    return report;
  }

  /** Ledger indices of the decisions in range, oldest first. */
  private locate(options: ReplayOptions): number[] {
    const indices: number[] = [];
    let before: number | undefined;
    for (;;) {
      const page = this.ledger.reader.queryRecords({ kind: "decision", limit: PAGE, ...(options.from ? { from: options.from } : {}), ...(options.to ? { to: options.to } : {}), ...(before !== undefined ? { before } : {}) });
      for (const loc of page) indices.push(loc.index);
      if (page.length < PAGE) break;
      before = page[page.length - 1]?.index;
    }
    return indices.sort((a, b) => a - b);
  }

  private replayOne(index: number, record: DecisionRecord, candidate: PolicySet | undefined, report: ReplayReport, keep: number, skip: (reason: string, id: string) => void): void {
    if (!record.evaluated) return skip(NOT_REPLAYABLE.noInputs, record.id);
    const set = candidate ?? this.policies.get(record.policy.set_version);
    if (!set) return skip(NOT_REPLAYABLE.noVersion, record.id);
    const restored = restoreInputs(record, this.rawOf(record));
    if (!restored.ok) return skip(restored.missing.length ? NOT_REPLAYABLE.erased : NOT_REPLAYABLE.noInputs, record.id);
    const replayed = this.evaluate(set, restored.input);
    const recorded = recordedVerdict(record);
    report.replayed++;
    const sample = (): ReplaySample => ({
      decision_id: record.id,
      index,
      time: record.time,
      subject: record.subject.id,
      action: record.action,
      resource: `${record.resource.type ?? ""}::${record.resource.id}`,
      policy_set_version: record.policy.set_version,
      recorded,
      replayed,
    });
    if (sameVerdict(recorded, replayed)) {
      report.same++;
      return;
    }
    if (!candidate) {
      report.mismatches.count++;
      if (report.mismatches.samples.length < keep) report.mismatches.samples.push(sample());
      return;
    }
    if (recorded.outcome === replayed.outcome) {
      report.reasons_changed.count++;
      if (report.reasons_changed.samples.length < keep) report.reasons_changed.samples.push(sample());
      return;
    }
    let group = report.changes.find((c) => c.from === recorded.outcome && c.to === replayed.outcome);
    if (!group) report.changes.push((group = { from: recorded.outcome, to: replayed.outcome, count: 0, samples: [] }));
    group.count++;
    if (group.samples.length < keep) group.samples.push(sample());
  }

  /** Policy's verdict on the rebuilt request; a request the set refuses (an undeclared action, say) is an `error` verdict. */
  private evaluate(set: PolicySet, input: Parameters<typeof buildCedarRequest>[0]): VerdictView {
    let engine = this.engines.get(set.version);
    if (!engine) this.engines.set(set.version, (engine = new PolicyEngine(set)));
    try {
      const { effective } = judge(set, engine, buildCedarRequest(input));
      return { outcome: effective.outcome, reason_code: effective.reason_code, determining: [...effective.determining].sort() };
    } catch (err) {
      if (!isArbiterError(err)) throw err;
      return { outcome: "error", reason_code: err.code, determining: [] };
    }
  }

  /** A committed input's raw value, only while it is kept and still matches its commitment. */
  private rawOf(record: DecisionRecord): (field: string) => JsonValue | undefined {
    const rows = new Map(this.ledger.reader.rawValuesOf(record.id).map((row) => [row.field, row]));
    const commitments = record.commitments ?? {};
    return (field) => {
      const row = rows.get(field);
      const commitment = commitments[field];
      if (!row || commitment === undefined) return undefined;
      const value = JSON.parse(row.value) as JsonValue;
      return verifyCommitment(commitment, row.salt, value) ? value : undefined;
    };
  }
}
