// The join: an event to the decision that explains it, strongest key first, with a confidence.
import type { DecisionTable } from "./decision-table.js";
import type { JoinKey, LinkEvent } from "./event.js";
import { keyHash, sarHash } from "./key-hash.js";

export interface JoinOptions {
  /** How far before the event a decision may lie for the credential and subject+action+resource keys. */
  windowMs: number;
  /** Clock skew tolerated between the source's clock and Arbiter's (a decision may appear that much after the event). */
  skewMs: number;
  /** Consider Arbiter's own decisions only (to tell whether another engine's decision shares a request with one of ours). */
  ownOnly?: boolean;
}

export interface JoinMatch {
  row: number;
  key: JoinKey;
  confidence: number;
}

export interface JoinOutcome {
  match?: JoinMatch;
  /** The event named a decision id that no decision in the ledger has. */
  unknownDecisionId?: string;
}

/** The event's keys, hashed once. */
interface EventKeys {
  timeMs: number;
  hAction: number;
  hResource: number;
}

/** How well a candidate fits the event: 2 same action and resource, 1 same action, 0 neither. */
function fit(table: DecisionTable, row: number, keys: EventKeys): number {
  if (table.hAction[row] !== keys.hAction) return 0;
  return table.hResource[row] === keys.hResource ? 2 : 1;
}

/**
 * The best candidate: closest fit, then Arbiter's own decision before another engine's, then the
 * nearest in time among decisions made before the event (a decision made after it, beyond the
 * skew, explains it last).
 */
function pick(table: DecisionTable, rows: readonly number[], keys: EventKeys, skewMs: number, ownOnly = false): { row: number; fit: number } | undefined {
  let best = -1;
  let bestFit = -1;
  let bestOwn = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    const f = fit(table, row, keys);
    const own = table.foreign[row] === 1 ? 0 : 1;
    if (ownOnly && own === 0) continue;
    const lead = keys.timeMs - (table.time[row] as number);
    const distance = lead >= -skewMs ? Math.abs(lead) : 1e15 - lead;
    if (f > bestFit || (f === bestFit && (own > bestOwn || (own === bestOwn && distance < bestDistance)))) {
      best = row;
      bestFit = f;
      bestOwn = own;
      bestDistance = distance;
    }
  }
  return best < 0 ? undefined : { row: best, fit: bestFit };
}

/** Confidence per key and fit; docs/linkage.md explains the table. */
const CONFIDENCE = {
  decision_id: [0.7, 0.85, 0.95],
  trace_id: [0.5, 0.75, 0.9],
  credential: [0, 0.6, 0.85],
} as const;

const confidence = (key: keyof typeof CONFIDENCE, fit: number): number => CONFIDENCE[key][fit] ?? 0;

export function joinEvent(table: DecisionTable, event: LinkEvent, options: JoinOptions): JoinOutcome {
  const keys: EventKeys = { timeMs: event.timeMs, hAction: keyHash(event.action), hResource: keyHash(event.resource.id) };
  let unknownDecisionId: string | undefined;
  if (event.decisionId !== undefined) {
    const hash = keyHash(event.decisionId);
    for (const row of table.byId.all(hash)) {
      if (table.ids.get(row) === event.decisionId && !(options.ownOnly === true && table.foreign[row] === 1)) return { match: { row, key: "decision_id", confidence: 1 } };
    }
    // Another engine's own id (Cerbos callId, OPA decision_id) names all the decisions of one call.
    const found = pick(table, table.bySource.all(hash), keys, options.skewMs, options.ownOnly);
    if (found) return { match: { row: found.row, key: "decision_id", confidence: confidence("decision_id", found.fit) } };
    unknownDecisionId = event.decisionId;
  }
  const miss = unknownDecisionId === undefined ? {} : { unknownDecisionId };
  if (event.traceId !== undefined) {
    const rows = table.byTrace.all(keyHash(event.traceId));
    const found = pick(table, rows, keys, options.skewMs, options.ownOnly);
    if (found) {
      const level = found.fit > 0 ? confidence("trace_id", found.fit) : rows.length === 1 ? 0.6 : confidence("trace_id", 0);
      return { match: { row: found.row, key: "trace_id", confidence: level }, ...miss };
    }
  }
  const from = event.timeMs - options.windowMs;
  const to = event.timeMs + options.skewMs;
  if (event.subject.credentialId !== undefined) {
    const rows = table.byCredential.within(keyHash(event.subject.credentialId), table.time, from, to).filter((row) => table.hAction[row] === keys.hAction);
    const found = pick(table, rows, keys, options.skewMs, options.ownOnly);
    if (found) return { match: { row: found.row, key: "credential", confidence: confidence("credential", found.fit) }, ...miss };
  }
  const rows = table.bySar.within(sarHash(event.subject.id, event.action, event.resource.id), table.time, from, to);
  const found = pick(table, rows, keys, options.skewMs, options.ownOnly);
  if (found) return { match: { row: found.row, key: "subject_action_resource", confidence: rows.length === 1 ? 0.7 : 0.6 }, ...miss };
  return miss;
}
