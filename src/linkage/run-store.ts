// The linkage tables: runs, the records each appended, traces seen, findings and skipped lines (derived; the ledger holds the evidence).
import type { Statement } from "better-sqlite3";
import type { SqliteDatabase } from "../store/index.js";

/** A record a run appended: a `link` record (several linked events) or an `imported` foreign decision. */
export interface RecordRow {
  seq: number;
  kind: "link" | "imported";
  record_id: string;
  /** How many linked events came before this record in the run, and how many it holds. */
  first_event: number;
  events: number;
  /** For an imported decision: the Arbiter decision it shares a request with. */
  decision_id: string | null;
  key: string | null;
  confidence: number | null;
}

export interface TraceRow {
  trace_id: string;
  record_id: string;
}

export interface FindingRow {
  seq: number;
  code: string;
  file: string;
  line: number;
  time: string;
  subject_id: string;
  decision_id: string | null;
  record_id: string;
  note: string;
  evidence: string;
}

export interface SkippedRow {
  seq: number;
  file: string;
  line: number;
  reason: string;
  message: string;
}

export interface RunRow {
  id: string;
  status: "running" | "done" | "failed";
  format: string;
  source: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
  options: string;
  summary: string | null;
  record_id: string | null;
}

export class RunStore {
  private readonly db: SqliteDatabase;
  private readonly stmt: {
    create: Statement<unknown[]>;
    finish: Statement<unknown[]>;
    record: Statement<unknown[]>;
    trace: Statement<[string, string, string]>;
    finding: Statement<unknown[]>;
    skipped: Statement<unknown[]>;
    get: Statement<[string], RunRow | undefined>;
    records: Statement<[string, number, number], RecordRow>;
    findings: Statement<[string, number, number], FindingRow>;
    skippedOf: Statement<[string, number], SkippedRow>;
    byTrace: Statement<[string, number], { run_id: string; record_id: string }>;
  };

  constructor(db: SqliteDatabase) {
    this.db = db;
    this.stmt = {
      create: db.prepare("INSERT INTO linkage_runs (id, status, format, source, actor, started_at, options) VALUES (?, 'running', ?, ?, ?, ?, ?)"),
      finish: db.prepare("UPDATE linkage_runs SET status = ?, finished_at = ?, summary = ?, record_id = ? WHERE id = ?"),
      record: db.prepare("INSERT INTO linkage_records (run_id, seq, kind, record_id, first_event, events, decision_id, key, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      trace: db.prepare("INSERT OR IGNORE INTO linkage_traces (trace_id, run_id, record_id) VALUES (?, ?, ?)"),
      finding: db.prepare("INSERT INTO linkage_findings (run_id, seq, code, file, line, time, subject_id, decision_id, record_id, note, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      skipped: db.prepare("INSERT INTO linkage_skipped (run_id, seq, file, line, reason, message) VALUES (?, ?, ?, ?, ?, ?)"),
      get: db.prepare("SELECT * FROM linkage_runs WHERE id = ?"),
      records: db.prepare("SELECT seq, kind, record_id, first_event, events, decision_id, key, confidence FROM linkage_records WHERE run_id = ? AND first_event + events > ? ORDER BY seq LIMIT ?"),
      findings: db.prepare("SELECT seq, code, file, line, time, subject_id, decision_id, record_id, note, evidence FROM linkage_findings WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
      skippedOf: db.prepare("SELECT seq, file, line, reason, message FROM linkage_skipped WHERE run_id = ? ORDER BY seq LIMIT ?"),
      byTrace: db.prepare("SELECT run_id, record_id FROM linkage_traces WHERE trace_id = ? ORDER BY run_id, record_id LIMIT ?"),
    };
  }

  create(run: { id: string; format: string; source: string; actor: string; startedAt: string; options: string }): void {
    this.stmt.create.run(run.id, run.format, run.source, run.actor, run.startedAt, run.options);
  }

  finish(id: string, status: "done" | "failed", finishedAt: string, summary: string, recordId: string | null): void {
    this.stmt.finish.run(status, finishedAt, summary, recordId, id);
  }

  /** One transaction for a batch of rows. */
  insert(runId: string, rows: { records: readonly RecordRow[]; traces: readonly TraceRow[]; findings: readonly FindingRow[]; skipped: readonly SkippedRow[] }): void {
    this.db.transaction(() => {
      for (const r of rows.records) this.stmt.record.run(runId, r.seq, r.kind, r.record_id, r.first_event, r.events, r.decision_id, r.key, r.confidence);
      for (const t of rows.traces) this.stmt.trace.run(t.trace_id, runId, t.record_id);
      for (const f of rows.findings) this.stmt.finding.run(runId, f.seq, f.code, f.file, f.line, f.time, f.subject_id, f.decision_id, f.record_id, f.note, f.evidence);
      for (const s of rows.skipped) this.stmt.skipped.run(runId, s.seq, s.file, s.line, s.reason, s.message);
    })();
  }

  get(id: string): RunRow | undefined {
    return this.stmt.get.get(id);
  }

  list(limit: number, before?: string): RunRow[] {
    const sql = `SELECT * FROM linkage_runs ${before !== undefined ? "WHERE started_at < ?" : ""} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return this.db.prepare<unknown[], RunRow>(sql).all(...(before !== undefined ? [before] : []), limit);
  }

  /** Records holding the linked events after the first `after` ones, in order. */
  records(runId: string, after: number, limit: number): RecordRow[] {
    return this.stmt.records.all(runId, after, limit);
  }

  findings(runId: string, afterSeq: number, limit: number): FindingRow[] {
    return this.stmt.findings.all(runId, afterSeq, limit);
  }

  skipped(runId: string, limit: number): SkippedRow[] {
    return this.stmt.skippedOf.all(runId, limit);
  }

  recordsOfTrace(traceId: string, limit: number): { run_id: string; record_id: string }[] {
    return this.stmt.byTrace.all(traceId, limit);
  }
}
