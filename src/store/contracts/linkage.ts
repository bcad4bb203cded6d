// The linkage contract: runs and the rows they derive (records, traces, findings, skipped lines), and the
// decision-key table the join loads. All of it is derived: the ledger holds the evidence, so these are
// written beside it, not committed with an entry.

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

export interface NewRun {
  id: string;
  format: string;
  source: string;
  actor: string;
  startedAt: string;
  options: string;
}

export interface RunRows {
  records: readonly RecordRow[];
  traces: readonly TraceRow[];
  findings: readonly FindingRow[];
  skipped: readonly SkippedRow[];
}

/** One decision's keys, in the column order of DECISION_KEY_COLUMNS. */
export type DecisionKeyRow = [
  idx: number, decisionId: string, sourceId: string | null, engine: string, timeMs: number, outcome: string, reason: string | null,
  subject: string, credential: string | null, action: string, resourceType: string | null, resourceId: string, trace: string | null,
  argsDigest: string | null, grantId: string | null, grantExpiresAt: string | null, approvalId: string | null,
  hId: number, hSource: number | null, hTrace: number | null, hCredential: number | null, hSar: number, hAction: number, hResource: number,
];

export const DECISION_KEY_COLUMNS = [
  "idx", "decision_id", "source_id", "engine", "time_ms", "outcome", "reason_code", "subject_id", "credential_id", "action", "resource_type",
  "resource_id", "trace_id", "args_digest", "grant_id", "grant_expires_at", "approval_request_id", "h_id", "h_source", "h_trace",
  "h_credential", "h_sar", "h_action", "h_resource",
] as const;

/**
 * What the join keeps of a decision in memory: idx, decision id, engine, time (ms), outcome, the key
 * hashes (id, source, trace, credential, subject+action+resource, action, resource), and 1 when it
 * relied on a grant or an approval.
 */
export type JoinKeyRow = [
  idx: number, decisionId: string, engine: string, timeMs: number, outcome: string, hId: number, hSource: number | null,
  hTrace: number | null, hCredential: number | null, hSar: number, hAction: number, hResource: number, bound: number,
];

/** The columns of one decision the findings need beyond the in-memory keys. */
export interface DecisionDetail {
  decision_id: string;
  engine: string;
  time_ms: number;
  outcome: string;
  reason_code: string | null;
  subject_id: string;
  credential_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string;
  args_digest: string | null;
  grant_id: string | null;
  grant_expires_at: string | null;
  approval_request_id: string | null;
}

/** How far the decision-key table has read the ledger, and with which key hash. */
export interface DecisionKeysMark {
  hashVersion: string | undefined;
  /** Entries below this index have their rows (if they are decisions). */
  indexedSize: number;
}

/**
 * Linkage runs and the decision-key table. Synchronous, like the other contracts: a run writes its
 * rows in batches (one transaction each, after the appends they name are durable) and the join loads
 * the decision keys once, as an iterator of plain arrays the loader packs into typed arrays, with no
 * await and no object per row. decisionDetail and knownForeignDecision are asked per event; a store
 * whose driver is asynchronous serves them from what it loaded with the join keys.
 */
export interface LinkageRepository {
  createRun(run: NewRun): void;
  finishRun(id: string, status: "done" | "failed", finishedAt: string, summary: string, recordId: string | null): void;
  /** One transaction for a batch of a run's rows. */
  insertRunRows(runId: string, rows: RunRows): void;
  run(id: string): RunRow | undefined;
  /** Newest first; `before` pages by start time. */
  runs(limit: number, before?: string): RunRow[];
  /** Records holding the linked events after the first `after` ones, in order. */
  records(runId: string, after: number, limit: number): RecordRow[];
  /** Findings after `afterSeq`, in order. */
  findings(runId: string, afterSeq: number, limit: number): FindingRow[];
  skipped(runId: string, limit: number): SkippedRow[];
  recordsOfTrace(traceId: string, limit: number): { run_id: string; record_id: string }[];

  decisionKeysMark(): DecisionKeysMark;
  /** Empties the table and starts it over for a new key hash (indexedSize 0). */
  resetDecisionKeys(hashVersion: string): void;
  /** Adds rows (an index already there is kept) and moves the mark to `indexedSize`, in one transaction. */
  addDecisionKeys(rows: readonly DecisionKeyRow[], indexedSize: number): void;
  decisionKeyCount(): number;
  /** Every row's join keys in ledger order. The iterator holds the connection: nothing else may run on it until it is done. */
  joinKeys(): IterableIterator<JoinKeyRow>;
  /** Every stored row in ledger order, read in chunks (other reads may run between them). */
  storedDecisionKeys(): IterableIterator<unknown[]>;
  decisionDetail(idx: number): DecisionDetail | undefined;
  /** Whether an imported decision with these keys is already in the table. */
  knownForeignDecision(engine: string, sourceId: string, action: string, resourceId: string): boolean;
}
