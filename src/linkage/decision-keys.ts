// linkage_decisions: the join's view of every decision (Arbiter's and imported ones), read from the leaves once.
import type { Ledger } from "../ledger/index.js";
import type { StoredRecord } from "../record/index.js";
import { DECISION_KEY_COLUMNS as COLUMNS, type DecisionKeyRow as Row, type LinkageRepository } from "../store/index.js";
import { KEY_HASH_VERSION, keyHash, sarHash } from "./key-hash.js";

/** Leaves are parsed only when they can be one of these (canonical JSON writes exactly these bytes). */
const DECISION_MARK = Buffer.from('"kind":"decision"');
const IMPORTED_MARK = Buffer.from('"kind":"imported"');
/** Rows per transaction; the loop yields between chunks so a server stays responsive during a first sync. */
const CHUNK = 8192;

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
export async function syncDecisionKeys(tables: LinkageRepository, ledger: Ledger, onProgress?: (done: number, total: number) => void): Promise<{ added: number; indexed: number }> {
  if (tables.decisionKeysMark().hashVersion !== KEY_HASH_VERSION) tables.resetDecisionKeys(KEY_HASH_VERSION);
  const from = tables.decisionKeysMark().indexedSize;
  const size = ledger.size();
  let rows: Row[] = [];
  let added = 0;
  const flush = (upTo: number): void => {
    tables.addDecisionKeys(rows, upTo);
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

/**
 * Recomputes every linkage_decisions row from its leaf and compares it with the stored one, the way
 * `log verify` checks the search index: the join answers from this table, so an edited outcome,
 * grant or subject here would make linkage report a finding that is not true, or hide one that is.
 * Rows past the table's watermark are not there yet, and are not problems. Returns the first problem.
 */
export function checkDecisionKeys(tables: LinkageRepository, ledger: Ledger): { rows: number; problem?: DecisionKeysProblem } {
  // One snapshot, as verifyLedger reads: a server appending meanwhile must not look like a missing row.
  return ledger.reader.readConsistent(() => checkSnapshot(tables, ledger));
}

function checkSnapshot(tables: LinkageRepository, ledger: Ledger): { rows: number; problem?: DecisionKeysProblem } {
  const upTo = tables.decisionKeysMark().indexedSize;
  const stored = tables.storedDecisionKeys();
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
