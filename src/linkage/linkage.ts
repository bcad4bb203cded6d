// The linkage capability: runs over outside logs, their results, reports, and the story of one trace.
import { ArbiterError, type RecordOfKind } from "../record/index.js";
import type { LinkInput } from "./input.js";
import { renderHtml, reportOf, type LinkageReport } from "./report.js";
import type { FindingRow, LinkageRepository, RunRow } from "../store/index.js";
import { runLinkage, type LinkageDeps, type RunOptions } from "./run.js";
import type { LinkageSummary } from "./summary.js";
import { loadRecord, traceStory, type TraceStep } from "./trace.js";

export interface RunView {
  id: string;
  status: RunRow["status"];
  format: string;
  source: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
  record_id: string | null;
  /** The summary of a finished run; `{error}` for a failed one; null while running. */
  summary: LinkageSummary | { error: string } | null;
}

type LinkRecord = RecordOfKind<"link">;

/** One linked event as its `link` record holds it, with where that record sits in the ledger (prove it with its index). */
export type LinkedEvent = LinkRecord["links"][number] & { seq: number; system: string; file: string; record_id: string; ledger_index: number };

/** A foreign decision a run imported, and the Arbiter decision it shares a request with. */
export interface ImportedDecision {
  record: RecordOfKind<"imported">;
  ledger_index: number;
  ours: { decision_id: string; key: string; confidence: number } | null;
}

/** Findings kept in a report; the run's findings table and ledger records hold every one. */
const REPORT_FINDINGS = 5000;

function viewOf(row: RunRow): RunView {
  return {
    id: row.id,
    status: row.status,
    format: row.format,
    source: row.source,
    actor: row.actor,
    started_at: row.started_at,
    finished_at: row.finished_at,
    record_id: row.record_id,
    summary: row.summary === null ? null : (JSON.parse(row.summary) as RunView["summary"]),
  };
}

export class Linkage {
  private readonly store: LinkageRepository;

  constructor(private readonly deps: LinkageDeps) {
    this.store = deps.tables;
  }

  /** Reads the input, imports foreign decisions, joins every event and records links and findings in the ledger. */
  run(input: LinkInput, options: RunOptions): Promise<LinkageSummary> {
    return runLinkage(this.deps, input, options);
  }

  runs(limit = 50, before?: string): RunView[] {
    return this.store.runs(limit, before).map(viewOf);
  }

  get(runId: string): RunView {
    const row = this.store.run(runId);
    if (row === undefined) throw new ArbiterError("NOT_FOUND", `no linkage run ${JSON.stringify(runId)}`, { runId });
    return viewOf(row);
  }

  /** The run's linked events after the first `after`, read from its link records: the ledger holds the only copy. */
  events(runId: string, after = 0, limit = 100): LinkedEvent[] {
    this.get(runId);
    const out: LinkedEvent[] = [];
    for (const row of this.store.records(runId, after, limit + 1)) {
      if (row.kind !== "link" || out.length >= limit) continue;
      const found = loadRecord(this.deps.ledger, row.record_id);
      if (found?.record.kind !== "link") continue;
      const { record } = found;
      record.links.forEach((link, i) => {
        const seq = row.first_event + i + 1;
        if (seq > after && out.length < limit) out.push({ ...link, seq, system: record.source.system, file: record.source.file ?? "", record_id: record.id, ledger_index: found.index });
      });
    }
    return out;
  }

  /** The foreign decisions the run imported, oldest first. */
  imported(runId: string, limit = 100): ImportedDecision[] {
    this.get(runId);
    const out: ImportedDecision[] = [];
    for (const row of this.store.records(runId, -1, 100_000)) {
      if (row.kind !== "imported" || out.length >= limit) continue;
      const found = loadRecord(this.deps.ledger, row.record_id);
      if (found?.record.kind !== "imported") continue;
      out.push({ record: found.record, ledger_index: found.index, ours: row.decision_id === null ? null : { decision_id: row.decision_id, key: row.key ?? "", confidence: row.confidence ?? 0 } });
    }
    return out;
  }

  findings(runId: string, afterSeq = 0, limit = 100): (Omit<FindingRow, "evidence"> & { evidence: unknown })[] {
    this.get(runId);
    return this.store.findings(runId, afterSeq, limit).map((f) => ({ ...f, evidence: JSON.parse(f.evidence) as unknown }));
  }

  report(runId: string): LinkageReport {
    const view = this.get(runId);
    if (view.status !== "done" || view.summary === null || "error" in view.summary) {
      throw new ArbiterError("CONFLICT", `linkage run ${runId} is ${view.status}; only a finished run has a report`, { runId });
    }
    return reportOf(view.summary, this.store.findings(runId, 0, REPORT_FINDINGS), this.store.skipped(runId, 1000));
  }

  reportHtml(runId: string): string {
    return renderHtml(this.report(runId));
  }

  trace(traceId: string): TraceStep[] {
    return traceStory(this.deps.ledger, this.store, traceId);
  }
}
