// The `enforcement` record: what a PEP did with a decision, built typed like the decision record.
import type { Caller, DecisionRecord, RecordInputOfKind } from "../record/index.js";
import type { EnforcementReport } from "./decision-log.js";
import type { DecisionFacts } from "./recent-decisions.js";

/**
 * The record of `report` against the decision it applies to. Values an in-process PEP can produce
 * that the schema would refuse are left out rather than recorded as they are: an upstream error
 * with an empty message, a status or byte count that is not a whole number, a duration that is not
 * a finite number of milliseconds. That makes the builder total over what in-process PEPs report,
 * so their reports can skip the schema parse (Ledger.appendBuilt; test/decide/built-records.test.ts).
 */
export function enforcementRecord(decisionId: string, decision: DecisionRecord | DecisionFacts, report: EnforcementReport, caller: Caller): RecordInputOfKind<"enforcement"> {
  const upstream = report.upstream;
  const facts = upstream && {
    ...(Number.isSafeInteger(upstream.status) ? { status: upstream.status } : {}),
    ...(upstream.error ? { error: upstream.error } : {}),
    ...(upstream.bytes !== undefined && Number.isSafeInteger(upstream.bytes) && upstream.bytes >= 0 ? { bytes: upstream.bytes } : {}),
  };
  const masked = report.masked && { fields: report.masked.fields.filter((field) => field.length > 0), detectors: report.masked.detectors };
  const duration = report.duration_ms;
  const { type, ...subject } = decision.subject;
  return {
    kind: "enforcement",
    decision_id: decisionId,
    ...(type === "unknown" ? {} : { subject: { ...subject, type } }),
    action: decision.action,
    resource: decision.resource,
    pep: report.pep,
    caller,
    status: report.status,
    ...(facts ? { upstream: facts } : {}),
    ...(masked ? { masked } : {}),
    ...(duration !== undefined && Number.isFinite(duration) && duration >= 0 ? { duration_ms: duration } : {}),
    correlation: { ...(decision.correlation ?? {}), ...(report.correlation ?? {}), parent_decision_id: decisionId },
  };
}
