// The linkage tables in SQLite: runs and their rows, and linkage_decisions, the join's view of every decision.
import type { Statement } from "better-sqlite3";
import type {
  DecisionDetail,
  DecisionKeyRow,
  DecisionKeysMark,
  FindingRow,
  JoinKeyRow,
  LinkageRepository,
  NewRun,
  RecordRow,
  RunRow,
  RunRows,
  SkippedRow,
} from "../contracts/linkage.js";
import type { SqliteDatabase } from "./database.js";

/** Rows per read when the stored table is compared with the ledger. */
const CHUNK = 8192;

export class SqliteLinkage implements LinkageRepository {
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
    meta: Statement<[string], string>;
    setMeta: Statement<[string, string]>;
    insertKey: Statement<unknown[]>;
    count: Statement<[], number>;
    joinKeys: Statement<[], JoinKeyRow>;
    storedChunk: Statement<[number], unknown[]>;
    detail: Statement<[number], DecisionDetail>;
    known: Statement<[string, string, string, string], number>;
  };

  constructor(private readonly db: SqliteDatabase) {
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
      meta: db.prepare<[string], string>("SELECT value FROM linkage_meta WHERE key = ?").pluck(),
      setMeta: db.prepare("INSERT INTO linkage_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      // Only an index already there is kept: OR IGNORE would also drop a row breaking NOT NULL, unseen, while the mark moved past it.
      insertKey: db.prepare(`INSERT INTO linkage_decisions VALUES (${Array.from({ length: 24 }, () => "?").join(", ")}) ON CONFLICT (idx) DO NOTHING`),
      count: db.prepare<[], number>("SELECT count(*) FROM linkage_decisions").pluck(),
      // Read in rowid order, a sequential scan: reading through the time index cost ≈ 9 µs a row (measured).
      joinKeys: db
        .prepare<[], JoinKeyRow>(`SELECT idx, decision_id, engine, time_ms, outcome, h_id, h_source, h_trace, h_credential, h_sar, h_action, h_resource,
          grant_id IS NOT NULL OR approval_request_id IS NOT NULL FROM linkage_decisions ORDER BY idx`)
        .raw(),
      storedChunk: db.prepare<[number], unknown[]>(`SELECT * FROM linkage_decisions WHERE idx >= ? ORDER BY idx LIMIT ${CHUNK}`).raw(),
      detail: db.prepare(`SELECT decision_id, engine, time_ms, outcome, reason_code, subject_id, credential_id, action,
        resource_type, resource_id, args_digest, grant_id, grant_expires_at, approval_request_id FROM linkage_decisions WHERE idx = ?`),
      known: db
        .prepare<[string, string, string, string], number>("SELECT 1 FROM linkage_decisions WHERE engine = ? AND source_id = ? AND action = ? AND resource_id = ? LIMIT 1")
        .pluck(),
    };
  }

  createRun(run: NewRun): void {
    this.stmt.create.run(run.id, run.format, run.source, run.actor, run.startedAt, run.options);
  }

  finishRun(id: string, status: "done" | "failed", finishedAt: string, summary: string, recordId: string | null): void {
    this.stmt.finish.run(status, finishedAt, summary, recordId, id);
  }

  insertRunRows(runId: string, rows: RunRows): void {
    this.db.transaction(() => {
      for (const r of rows.records) this.stmt.record.run(runId, r.seq, r.kind, r.record_id, r.first_event, r.events, r.decision_id, r.key, r.confidence);
      for (const t of rows.traces) this.stmt.trace.run(t.trace_id, runId, t.record_id);
      for (const f of rows.findings) this.stmt.finding.run(runId, f.seq, f.code, f.file, f.line, f.time, f.subject_id, f.decision_id, f.record_id, f.note, f.evidence);
      for (const s of rows.skipped) this.stmt.skipped.run(runId, s.seq, s.file, s.line, s.reason, s.message);
    })();
  }

  run(id: string): RunRow | undefined {
    return this.stmt.get.get(id);
  }

  runs(limit: number, before?: string): RunRow[] {
    const sql = `SELECT * FROM linkage_runs ${before !== undefined ? "WHERE started_at < ?" : ""} ORDER BY started_at DESC, id DESC LIMIT ?`;
    return this.db.prepare<unknown[], RunRow>(sql).all(...(before !== undefined ? [before] : []), limit);
  }

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

  decisionKeysMark(): DecisionKeysMark {
    return { hashVersion: this.stmt.meta.get("hash_version"), indexedSize: Number(this.stmt.meta.get("indexed_size") ?? "0") };
  }

  resetDecisionKeys(hashVersion: string): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM linkage_decisions").run();
      this.stmt.setMeta.run("hash_version", hashVersion);
      this.stmt.setMeta.run("indexed_size", "0");
    })();
  }

  addDecisionKeys(rows: readonly DecisionKeyRow[], indexedSize: number): void {
    this.db.transaction(() => {
      for (const row of rows) this.stmt.insertKey.run(...row);
      this.stmt.setMeta.run("indexed_size", String(indexedSize));
    })();
  }

  decisionKeyCount(): number {
    return this.stmt.count.get() ?? 0;
  }

  joinKeys(): IterableIterator<JoinKeyRow> {
    return this.stmt.joinKeys.iterate();
  }

  *storedDecisionKeys(): IterableIterator<unknown[]> {
    // In chunks, not with iterate(): the connection cannot run the ledger's entry scan while a statement iterates.
    for (let from = 0; ; ) {
      const batch = this.stmt.storedChunk.all(from);
      yield* batch;
      if (batch.length < CHUNK) return;
      from = (batch[batch.length - 1]?.[0] as number) + 1;
    }
  }

  decisionDetail(idx: number): DecisionDetail | undefined {
    return this.stmt.detail.get(idx);
  }

  knownForeignDecision(engine: string, sourceId: string, action: string, resourceId: string): boolean {
    return this.stmt.known.get(engine, sourceId, action, resourceId) !== undefined;
  }
}
