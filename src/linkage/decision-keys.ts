// linkage_decisions: the join's view of every decision (Arbiter's and imported ones), read from the leaves once.
import type { Ledger } from "../ledger/index.js";
import type { StoredRecord } from "../record/index.js";
import type { SqliteDatabase } from "../store/index.js";
import { KEY_HASH_VERSION, keyHash, sarHash } from "./key-hash.js";

/** Leaves are parsed only when they can be one of these (canonical JSON writes exactly these bytes). */
const DECISION_MARK = Buffer.from('"kind":"decision"');
const IMPORTED_MARK = Buffer.from('"kind":"imported"');
/** Rows per transaction; the loop yields between chunks so a server stays responsive during a first sync. */
const CHUNK = 8192;

type Row = [
  idx: number, decisionId: string, sourceId: string | null, engine: string, timeMs: number, outcome: string, reason: string | null,
  subject: string, credential: string | null, action: string, resourceType: string | null, resourceId: string, trace: string | null,
  argsDigest: string | null, grantId: string | null, grantExpiresAt: string | null, approvalId: string | null,
  hId: number, hSource: number | null, hTrace: number | null, hCredential: number | null, hSar: number, hAction: number, hResource: number,
];

function rowOf(index: number, record: StoredRecord): Row | undefined {
  if (record.kind === "decision") {
    const trace = record.correlation?.trace_id ?? null;
    const credential = record.subject.credential?.id ?? null;
    return [
      index, record.id, null, "arbiter", Date.parse(record.time), record.outcome, record.reason_code, record.subject.id, credential,
      record.action, record.resource.type ?? null, record.resource.id, trace, record.args_digest ?? null, record.grant?.id ?? null,
      record.grant?.expires_at ?? null, record.approval?.request_id ?? null, keyHash(record.id), null, trace === null ? null : keyHash(trace),
      credential === null ? null : keyHash(credential), sarHash(record.subject.id, record.action, record.resource.id), keyHash(record.action), keyHash(record.resource.id),
    ];
  }
  if (record.kind === "imported" && record.outcome !== undefined) {
    const trace = record.correlation?.trace_id ?? null;
    const credential = record.subject.credential?.id ?? null;
    const sourceId = record.source.id ?? null;
    return [
      index, record.id, sourceId, record.policy?.engine ?? record.source.system, Date.parse(record.original_time ?? record.time), record.outcome,
      record.reason_code ?? null, record.subject.id, credential, record.action, record.resource.type ?? null, record.resource.id, trace,
      null, null, null, null, keyHash(record.id), sourceId === null ? null : keyHash(sourceId), trace === null ? null : keyHash(trace),
      credential === null ? null : keyHash(credential), sarHash(record.subject.id, record.action, record.resource.id), keyHash(record.action), keyHash(record.resource.id),
    ];
  }
  return undefined;
}

/**
 * Brings linkage_decisions up to the ledger's current size, reading only entries it has not seen
 * (the watermark is kept in linkage_meta). A change of the key hash rebuilds the table.
 */
export async function syncDecisionKeys(db: SqliteDatabase, ledger: Ledger, onProgress?: (done: number, total: number) => void): Promise<{ added: number; indexed: number }> {
  const meta = db.prepare<[string], string>("SELECT value FROM linkage_meta WHERE key = ?").pluck();
  const setMeta = db.prepare("INSERT INTO linkage_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const insert = db.prepare(`INSERT OR IGNORE INTO linkage_decisions VALUES (${Array.from({ length: 24 }, () => "?").join(", ")})`);
  if (meta.get("hash_version") !== KEY_HASH_VERSION) {
    db.transaction(() => {
      db.prepare("DELETE FROM linkage_decisions").run();
      setMeta.run("hash_version", KEY_HASH_VERSION);
      setMeta.run("indexed_size", "0");
    })();
  }
  const from = Number(meta.get("indexed_size") ?? "0");
  const size = ledger.size();
  let rows: Row[] = [];
  let added = 0;
  const flush = (upTo: number): void => {
    db.transaction(() => {
      for (const row of rows) insert.run(...row);
      setMeta.run("indexed_size", String(upTo));
    })();
    added += rows.length;
    rows = [];
  };
  let seen = 0;
  for (const entry of ledger.reader.entries(from, size)) {
    seen++;
    if (entry.data.includes(DECISION_MARK) || entry.data.includes(IMPORTED_MARK)) {
      const row = rowOf(entry.index, JSON.parse(entry.data.toString("utf8")) as StoredRecord);
      if (row) rows.push(row);
    }
    if (seen % CHUNK === 0) {
      flush(entry.index + 1);
      onProgress?.(seen, size - from);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  flush(size);
  onProgress?.(size - from, size - from);
  return { added, indexed: size };
}

export interface DecisionKeysProblem {
  index: number;
  table: "linkage_decisions";
  problem: string;
}

const COLUMNS = [
  "idx", "decision_id", "source_id", "engine", "time_ms", "outcome", "reason_code", "subject_id", "credential_id", "action", "resource_type",
  "resource_id", "trace_id", "args_digest", "grant_id", "grant_expires_at", "approval_request_id", "h_id", "h_source", "h_trace",
  "h_credential", "h_sar", "h_action", "h_resource",
] as const;

/**
 * Recomputes every linkage_decisions row from its leaf and compares it with the stored one, the way
 * `log verify` checks the search index: the join answers from this table, so an edited outcome,
 * grant or subject here would make linkage report a finding that is not true, or hide one that is.
 * Rows past the table's watermark are not there yet, and are not problems. Returns the first problem.
 */
export function checkDecisionKeys(db: SqliteDatabase, ledger: Ledger): { rows: number; problem?: DecisionKeysProblem } {
  // One snapshot, as verifyLedger reads: a server appending meanwhile must not look like a missing row.
  return ledger.reader.readConsistent(() => checkSnapshot(db, ledger));
}

function checkSnapshot(db: SqliteDatabase, ledger: Ledger): { rows: number; problem?: DecisionKeysProblem } {
  const upTo = Number(db.prepare<[string], string>("SELECT value FROM linkage_meta WHERE key = ?").pluck().get("indexed_size") ?? "0");
  // Read in chunks, not with iterate(): the connection cannot run the entry scan while a statement iterates.
  const chunk = db.prepare<[number], unknown[]>(`SELECT * FROM linkage_decisions WHERE idx >= ? ORDER BY idx LIMIT ${CHUNK}`).raw();
  const stored = (function* (): Generator<unknown[]> {
    for (let from = 0; ; ) {
      const batch = chunk.all(from);
      yield* batch;
      if (batch.length < CHUNK) return;
      from = (batch[batch.length - 1]?.[0] as number) + 1;
    }
  })();
  const problem = (index: number, text: string) => ({ rows, problem: { index, table: "linkage_decisions" as const, problem: text } });
  let rows = 0;
  let next = stored.next();
  for (const entry of ledger.reader.entries(0, Math.min(upTo, ledger.size()))) {
    const derived = entry.data.includes(DECISION_MARK) || entry.data.includes(IMPORTED_MARK) ? rowOf(entry.index, JSON.parse(entry.data.toString("utf8")) as StoredRecord) : undefined;
    const row = next.done ? undefined : next.value;
    if (row !== undefined && (row[0] as number) < entry.index) return problem(row[0] as number, "a row with no decision at its index");
    if (derived === undefined) {
      if (row !== undefined && row[0] === entry.index) return problem(entry.index, "a row for an entry that is not a decision");
      continue;
    }
    if (row === undefined || row[0] !== entry.index) return problem(entry.index, "the decision's row is missing");
    const changed = COLUMNS.findIndex((_, i) => row[i] !== derived[i]);
    if (changed >= 0) return problem(entry.index, `column ${COLUMNS[changed]} is ${JSON.stringify(row[changed])} but the leaf says ${JSON.stringify(derived[changed])}`);
    rows++;
    next = stored.next();
  }
  if (!next.done && (next.value[0] as number) < upTo) return problem(next.value[0] as number, "a row with no decision at its index");
  return { rows };
}

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

export function decisionDetailReader(db: SqliteDatabase): (idx: number) => DecisionDetail | undefined {
  const stmt = db.prepare<[number], DecisionDetail>(`SELECT decision_id, engine, time_ms, outcome, reason_code, subject_id, credential_id, action,
    resource_type, resource_id, args_digest, grant_id, grant_expires_at, approval_request_id FROM linkage_decisions WHERE idx = ?`);
  return (idx) => stmt.get(idx);
}

/** Imported decisions already in the ledger, so that importing the same log twice appends nothing twice. */
export function knownForeignDecision(db: SqliteDatabase): (engine: string, sourceId: string, action: string, resourceId: string) => boolean {
  const stmt = db.prepare<[string, string, string, string], number>(
    "SELECT 1 FROM linkage_decisions WHERE engine = ? AND source_id = ? AND action = ? AND resource_id = ? LIMIT 1",
  ).pluck();
  return (engine, sourceId, action, resourceId) => stmt.get(engine, sourceId, action, resourceId) !== undefined;
}
