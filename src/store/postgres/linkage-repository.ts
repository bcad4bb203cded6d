// The linkage tables in PostgreSQL: runs and their rows, and linkage_decisions, the join's view of every decision.
import {
  DECISION_KEY_COLUMNS,
  type DecisionDetail,
  type DecisionKeyRow,
  type DecisionKeysMark,
  type FindingRow,
  type JoinKeyRow,
  type LinkageRepository,
  type NewRun,
  type RecordRow,
  type RunRow,
  type RunRows,
  type SkippedRow,
} from "../contracts/linkage.js";
import type { PgConnection } from "./connection.js";

/** Rows per read of linkage_decisions (the join's load, the stored table compared with the ledger). */
const CHUNK = 8192;

/** linkage_decisions' columns in table order (DECISION_KEY_COLUMNS), with the array type each is sent as. */
const KEY_TYPES = [
  "bigint", "text", "text", "text", "bigint", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text",
  "bigint", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint",
] as const;

const unnestOf = (types: readonly string[], from: number): string => `unnest(${types.map((t, i) => `$${from + i}::${t}[]`).join(", ")})`;

/**
 * A batch of run rows is one statement: each table's rows arrive as column arrays (unnest), so the
 * batch is one round trip whatever its size, and atomic without a transaction of its own.
 * ON CONFLICT DO NOTHING on traces only: an event may name a trace its record already holds.
 */
const INSERT_RUN_ROWS = `WITH
  r AS (INSERT INTO linkage_records (run_id, seq, kind, record_id, first_event, events, decision_id, key, confidence)
        SELECT $1::text, * FROM ${unnestOf(["bigint", "text", "text", "bigint", "bigint", "text", "text", "float8"], 2)}),
  t AS (INSERT INTO linkage_traces (trace_id, run_id, record_id)
        SELECT u.trace_id, $1::text, u.record_id FROM unnest($10::text[], $11::text[]) AS u (trace_id, record_id) ON CONFLICT DO NOTHING),
  f AS (INSERT INTO linkage_findings (run_id, seq, code, file, line, time, subject_id, decision_id, record_id, note, evidence)
        SELECT $1::text, * FROM ${unnestOf(["bigint", "text", "text", "bigint", "text", "text", "text", "text", "text", "text"], 12)})
  INSERT INTO linkage_skipped (run_id, seq, file, line, reason, message) SELECT $1::text, * FROM ${unnestOf(["bigint", "text", "bigint", "text", "text"], 22)}`;

/** The mark moves in the statement that adds the rows: both or neither. Only an index already there is kept. */
const ADD_KEYS = `WITH added AS (INSERT INTO linkage_decisions (${DECISION_KEY_COLUMNS.join(", ")}) SELECT * FROM ${unnestOf(KEY_TYPES, 1)} ON CONFLICT (idx) DO NOTHING)
  INSERT INTO linkage_meta (key, value) VALUES ('indexed_size', $25) ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

const RESET_KEYS = `WITH emptied AS (DELETE FROM linkage_decisions)
  INSERT INTO linkage_meta (key, value) VALUES ('hash_version', $1), ('indexed_size', '0') ON CONFLICT (key) DO UPDATE SET value = excluded.value`;

/**
 * CHUNK rows from index $1 on, as one value: the server builds every row as a JSON array, and one
 * JSON.parse here turns the text into exactly the arrays the reader wants, with no object per row
 * (bigints up to 2^53 are exact as JSON numbers). Never all rows as one value: PostgreSQL caps a
 * value at 1 GB and V8 a string at 512 MB, which millions of decisions' keys would pass.
 */
const chunkOf = (columns: readonly string[]): string => `SELECT coalesce(json_agg(json_build_array(${columns.join(", ")}) ORDER BY d.idx), '[]')::text AS rows
  FROM (SELECT * FROM linkage_decisions WHERE idx >= $1 ORDER BY idx LIMIT ${CHUNK}) AS d`;

const JOIN_CHUNK = chunkOf(["d.idx", "d.decision_id", "d.engine", "d.time_ms", "d.outcome", "d.h_id", "d.h_source", "d.h_trace", "d.h_credential",
  "d.h_sar", "d.h_action", "d.h_resource", "(d.grant_id IS NOT NULL OR d.approval_request_id IS NOT NULL)::int"]);

const STORED_CHUNK = chunkOf(DECISION_KEY_COLUMNS.map((c) => `d.${c}`));

export class PgLinkage implements LinkageRepository {
  constructor(private readonly conn: PgConnection) {}

  createRun(run: NewRun): void {
    this.conn.query("INSERT INTO linkage_runs (id, status, format, source, actor, started_at, options) VALUES ($1, 'running', $2, $3, $4, $5, $6)", [
      run.id, run.format, run.source, run.actor, run.startedAt, run.options,
    ]);
  }

  finishRun(id: string, status: "done" | "failed", finishedAt: string, summary: string, recordId: string | null): void {
    this.conn.query("UPDATE linkage_runs SET status = $1, finished_at = $2, summary = $3, record_id = $4 WHERE id = $5", [status, finishedAt, summary, recordId, id]);
  }

  insertRunRows(runId: string, rows: RunRows): void {
    const { records: r, traces: t, findings: f, skipped: s } = rows;
    this.conn.query(INSERT_RUN_ROWS, [
      runId,
      r.map((x) => x.seq), r.map((x) => x.kind), r.map((x) => x.record_id), r.map((x) => x.first_event), r.map((x) => x.events),
      r.map((x) => x.decision_id), r.map((x) => x.key), r.map((x) => x.confidence),
      t.map((x) => x.trace_id), t.map((x) => x.record_id),
      f.map((x) => x.seq), f.map((x) => x.code), f.map((x) => x.file), f.map((x) => x.line), f.map((x) => x.time),
      f.map((x) => x.subject_id), f.map((x) => x.decision_id), f.map((x) => x.record_id), f.map((x) => x.note), f.map((x) => x.evidence),
      s.map((x) => x.seq), s.map((x) => x.file), s.map((x) => x.line), s.map((x) => x.reason), s.map((x) => x.message),
    ]);
  }

  run(id: string): RunRow | undefined {
    return this.conn.query<RunRow>("SELECT * FROM linkage_runs WHERE id = $1", [id])[0];
  }

  runs(limit: number, before?: string): RunRow[] {
    return before === undefined
      ? this.conn.query<RunRow>("SELECT * FROM linkage_runs ORDER BY started_at DESC, id DESC LIMIT $1", [limit])
      : this.conn.query<RunRow>("SELECT * FROM linkage_runs WHERE started_at < $1 ORDER BY started_at DESC, id DESC LIMIT $2", [before, limit]);
  }

  records(runId: string, after: number, limit: number): RecordRow[] {
    return this.conn.query<RecordRow>(
      "SELECT seq, kind, record_id, first_event, events, decision_id, key, confidence FROM linkage_records WHERE run_id = $1 AND first_event + events > $2 ORDER BY seq LIMIT $3",
      [runId, after, limit],
    );
  }

  findings(runId: string, afterSeq: number, limit: number): FindingRow[] {
    return this.conn.query<FindingRow>(
      "SELECT seq, code, file, line, time, subject_id, decision_id, record_id, note, evidence FROM linkage_findings WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      [runId, afterSeq, limit],
    );
  }

  skipped(runId: string, limit: number): SkippedRow[] {
    return this.conn.query<SkippedRow>("SELECT seq, file, line, reason, message FROM linkage_skipped WHERE run_id = $1 ORDER BY seq LIMIT $2", [runId, limit]);
  }

  recordsOfTrace(traceId: string, limit: number): { run_id: string; record_id: string }[] {
    return this.conn.query("SELECT run_id, record_id FROM linkage_traces WHERE trace_id = $1 ORDER BY run_id, record_id LIMIT $2", [traceId, limit]);
  }

  decisionKeysMark(): DecisionKeysMark {
    const rows = this.conn.query<{ key: string; value: string }>("SELECT key, value FROM linkage_meta WHERE key IN ('hash_version', 'indexed_size')");
    const meta = new Map(rows.map((r) => [r.key, r.value]));
    return { hashVersion: meta.get("hash_version"), indexedSize: Number(meta.get("indexed_size") ?? "0") };
  }

  resetDecisionKeys(hashVersion: string): void {
    this.conn.query(RESET_KEYS, [hashVersion]);
  }

  addDecisionKeys(rows: readonly DecisionKeyRow[], indexedSize: number): void {
    this.conn.query(ADD_KEYS, [...KEY_TYPES.map((_, i) => rows.map((row) => row[i])), String(indexedSize)]);
  }

  decisionKeyCount(): number {
    return this.conn.query<{ n: number }>("SELECT count(*) AS n FROM linkage_decisions")[0]?.n ?? 0;
  }

  joinKeys(): IterableIterator<JoinKeyRow> {
    return this.inChunks(JOIN_CHUNK) as IterableIterator<JoinKeyRow>;
  }

  storedDecisionKeys(): IterableIterator<unknown[]> {
    return this.inChunks(STORED_CHUNK);
  }

  /** Every row of `chunk` in index order, one chunk a round trip (each row's first column is its idx). */
  private *inChunks(chunk: string): IterableIterator<unknown[]> {
    for (let from = 0; ; ) {
      const batch = JSON.parse(this.conn.query<{ rows: string }>(chunk, [from])[0]?.rows ?? "[]") as unknown[][];
      yield* batch;
      if (batch.length < CHUNK) return;
      from = (batch[batch.length - 1]?.[0] as number) + 1;
    }
  }

  decisionDetail(idx: number): DecisionDetail | undefined {
    return this.conn.query<DecisionDetail>(
      `SELECT decision_id, engine, time_ms, outcome, reason_code, subject_id, credential_id, action, resource_type, resource_id, args_digest,
        grant_id, grant_expires_at, approval_request_id FROM linkage_decisions WHERE idx = $1`,
      [idx],
    )[0];
  }

  knownForeignDecision(engine: string, sourceId: string, action: string, resourceId: string): boolean {
    return this.conn.query("SELECT 1 FROM linkage_decisions WHERE engine = $1 AND source_id = $2 AND action = $3 AND resource_id = $4 LIMIT 1", [engine, sourceId, action, resourceId]).length > 0;
  }
}
