// What a run reports: coverage, findings, per-file stats and skipped lines, counted as the run goes.
import type { FindingCode, JsonObject } from "../record/index.js";
import type { JoinKey, LinkFormat, SkipReason } from "./event.js";
import type { FileFacts } from "./input.js";

export interface FileStats {
  file: string;
  encoding: string;
  problems: string[];
  items: number;
  events: number;
  linked: number;
  skipped: number;
}

export interface LinkageSummary {
  run_id: string;
  status: "done" | "failed";
  format: LinkFormat;
  source: string;
  started_at: string;
  finished_at: string;
  window_seconds: number;
  skew_seconds: number;
  /** Lines (or records of a JSON document) read. */
  items: number;
  /** Distinct events (duplicates counted once). */
  events: number;
  linked: number;
  /** Events no decision explains that the source says were carried out: each is an UNLINKED_ACTION. */
  unlinked: number;
  /** Events no decision explains that the source itself refused: no finding. */
  unlinked_denied: number;
  /** linked / events; null when there were no events. */
  coverage: number | null;
  by_key: Record<JoinKey, number>;
  duplicates: number;
  /** Events within the clock-skew tolerance of a revocation, rotation or expiry (not findings). */
  within_skew: number;
  /** Events stamped later than the run's own clock plus the skew tolerance. */
  future_events: number;
  foreign_decisions: { imported: number; already_in_ledger: number; corroborated: number };
  findings: Partial<Record<FindingCode, number>>;
  findings_total: number;
  skipped: Partial<Record<SkipReason, number>>;
  skipped_total: number;
  ignored: Record<string, number>;
  files: FileStats[];
  cloudtrail_digests?: JsonObject;
  records: { link: number; finding: number; imported: number; run: string | null };
  index: { decisions: number; newly_indexed: number; sync_ms: number; load_ms: number };
  elapsed_ms: number;
  /** Events joined per second, counting the join loop only (not the index sync and load). */
  events_per_second: number;
}

export class Tally {
  items = 0;
  events = 0;
  linked = 0;
  unlinked = 0;
  unlinkedDenied = 0;
  duplicates = 0;
  withinSkew = { count: 0 };
  futureEvents = 0;
  byKey: Record<JoinKey, number> = { decision_id: 0, trace_id: 0, credential: 0, subject_action_resource: 0 };
  foreign = { imported: 0, already_in_ledger: 0, corroborated: 0 };
  findings: Partial<Record<FindingCode, number>> = {};
  skipped: Partial<Record<SkipReason, number>> = {};
  ignored: Record<string, number> = {};
  records = { link: 0, finding: 0, imported: 0 };
  readonly files: FileStats[] = [];

  file(facts: FileFacts): FileStats {
    const stats: FileStats = { file: facts.file, encoding: facts.encoding, problems: facts.problems, items: 0, events: 0, linked: 0, skipped: 0 };
    this.files.push(stats);
    return stats;
  }

  skip(reason: SkipReason, file: FileStats | undefined): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    if (file) file.skipped++;
  }

  finding(code: FindingCode): void {
    this.findings[code] = (this.findings[code] ?? 0) + 1;
  }

  ignore(reason: string): void {
    this.ignored[reason] = (this.ignored[reason] ?? 0) + 1;
  }

  get findingsTotal(): number {
    return Object.values(this.findings).reduce((a, b) => a + b, 0);
  }

  get skippedTotal(): number {
    return Object.values(this.skipped).reduce((a, b) => a + b, 0);
  }

  /** The summary's counted part. */
  counts(): Omit<LinkageSummary, "run_id" | "status" | "format" | "source" | "started_at" | "finished_at" | "window_seconds" | "skew_seconds" | "index" | "elapsed_ms" | "events_per_second"> {
    return {
      items: this.items,
      events: this.events,
      linked: this.linked,
      unlinked: this.unlinked,
      unlinked_denied: this.unlinkedDenied,
      coverage: this.events === 0 ? null : Math.round((this.linked / this.events) * 10000) / 10000,
      by_key: this.byKey,
      duplicates: this.duplicates,
      within_skew: this.withinSkew.count,
      future_events: this.futureEvents,
      foreign_decisions: this.foreign,
      findings: this.findings,
      findings_total: this.findingsTotal,
      skipped: this.skipped,
      skipped_total: this.skippedTotal,
      ignored: this.ignored,
      files: this.files,
      records: { ...this.records, run: null },
    };
  }
}

/** What the run's own ledger record keeps: the counts, never the events. */
export function summaryAttributes(s: LinkageSummary): JsonObject {
  return {
    run_id: s.run_id,
    format: s.format,
    events: s.events,
    linked: s.linked,
    coverage: s.coverage,
    findings: s.findings,
    skipped: s.skipped,
    duplicates: s.duplicates,
    records: { link: s.records.link, finding: s.records.finding, imported: s.records.imported },
  };
}

/** One line for people: coverage, then each finding code with its count. */
export function describeSummary(s: LinkageSummary): string {
  const coverage = s.coverage === null ? "no events" : `${(s.coverage * 100).toFixed(1)}% of ${s.events} event(s) linked`;
  const findings = Object.entries(s.findings).map(([code, n]) => `${code} ${n}`).join(", ") || "no findings";
  const foreign = s.foreign_decisions.imported + s.foreign_decisions.already_in_ledger > 0 ? `; ${s.foreign_decisions.imported} foreign decision(s) imported` : "";
  return `${coverage}; ${findings}${foreign}${s.skipped_total ? `; ${s.skipped_total} line(s) skipped` : ""}`;
}
