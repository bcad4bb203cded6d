// One request as one story: every record and outside event under a trace id, whichever engine or system it came from.
import type { Ledger } from "../ledger/index.js";
import type { StoredRecord } from "../record/index.js";
import type { LinkageRepository } from "../store/index.js";

export interface TraceStep {
  time: string;
  /** decision, imported (another engine), enforcement, finding, approval… or `outside_event` for a log line a run read. */
  kind: string;
  /** Who decided or reported: arbiter, opa, cerbos, a PEP id, or the outside system. */
  by: string;
  subject: string | null;
  action: string | null;
  resource: string | null;
  outcome: string | null;
  reason_code: string | null;
  record_id: string | null;
  index: number | null;
  /** For an outside event: the decision it was linked to, and where it was read. */
  decision_id: string | null;
  where: string | null;
}

const MAX_STEPS = 500;

/** A record read back from the ledger by id. */
export function loadRecord(ledger: Ledger, id: string): { index: number; record: StoredRecord } | undefined {
  const location = ledger.reader.locateRecord(id);
  return location && { index: location.index, record: JSON.parse(ledger.entry(location.index).toString("utf8")) as StoredRecord };
}

function stepOf(index: number, record: StoredRecord): TraceStep {
  const r = record as Record<string, unknown> & StoredRecord;
  const text = (v: unknown): string | null => (typeof v === "string" ? v : null);
  const nested = (v: unknown, key: string): string | null => (typeof v === "object" && v !== null ? text((v as Record<string, unknown>)[key]) : null);
  const by =
    record.kind === "decision" ? "arbiter"
    : record.kind === "imported" ? (record.policy?.engine ?? record.source.system)
    : record.kind === "enforcement" ? record.pep.id
    : record.kind === "finding" ? "linkage"
    : record.kind;
  return {
    time: record.kind === "imported" && record.original_time !== undefined ? record.original_time : record.time,
    kind: record.kind,
    by,
    subject: nested(r.subject, "id"),
    action: text(r.action),
    resource: nested(r.resource, "id"),
    outcome: text(r.outcome) ?? text(r.status),
    reason_code: text(r.reason_code),
    record_id: record.id,
    index,
    decision_id: text(r.decision_id) ?? (record.kind === "decision" ? record.id : null),
    where: null,
  };
}

export function traceStory(ledger: Ledger, runs: Pick<LinkageRepository, "recordsOfTrace">, traceId: string): TraceStep[] {
  const steps: TraceStep[] = ledger.reader
    .queryRecords({ traceId, limit: MAX_STEPS })
    .map((loc) => stepOf(loc.index, JSON.parse(ledger.entry(loc.index).toString("utf8")) as StoredRecord));
  // The same line read by several runs is one event: the latest run's view of it is shown.
  const outside = new Map<string, TraceStep>();
  for (const { run_id, record_id } of runs.recordsOfTrace(traceId, MAX_STEPS)) {
    const found = loadRecord(ledger, record_id);
    if (found?.record.kind !== "link") continue;
    const { record } = found;
    for (const link of record.links) {
      if (link.trace_id !== traceId) continue;
      outside.set(`${record.source.file ?? ""}\u0000${link.line}\u0000${link.time}\u0000${link.action}`, {
        time: link.time,
        kind: "outside_event",
        by: record.source.file ?? record.source.system,
        subject: link.subject,
        action: link.action,
        resource: link.resource,
        outcome: link.outcome,
        reason_code: null,
        record_id: record.id,
        index: found.index,
        decision_id: link.decision_id,
        where: `${record.source.file ?? record.source.system}:${link.line} (run ${run_id})`,
      });
    }
  }
  steps.push(...outside.values());
  return steps.sort((a, b) => a.time.localeCompare(b.time) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
}
