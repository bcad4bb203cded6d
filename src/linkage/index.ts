// The linkage capability's front door: import outside events and foreign decisions, join them to decisions, report findings.
export { Linkage, type ImportedDecision, type LinkedEvent, type RunView } from "./linkage.js";
export { DEFAULT_SKEW_SECONDS, DEFAULT_WINDOW_SECONDS, runLinkage, type LinkageDeps, type RunOptions } from "./run.js";
export { checkDecisionKeys, syncDecisionKeys, type DecisionKeysProblem } from "./decision-keys.js";
export { LINK_FORMATS, type EventOutcome, type JoinKey, type LinkFormat, type SkipReason } from "./event.js";
export { ACCESS_LOG_MAPPING, mappingSchema, parseMapping, type Mapping } from "./formats/index.js";
export { checkPrincipalMap, DEFAULT_RULES, parsePrincipalMap, type PrincipalMap } from "./principals.js";
export type { LinkInput } from "./input.js";
export { describeSummary, type FileStats, type LinkageSummary } from "./summary.js";
export { escapeHtml, renderHtml, type LinkageReport } from "./report.js";
export type { FindingRow, SkippedRow } from "../store/index.js";
export type { TraceStep } from "./trace.js";
