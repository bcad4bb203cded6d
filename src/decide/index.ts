// The decision point: requests in, recorded decisions out, plus approvals, grants, break-glass and the decision log.
export { DecisionEngine, USER_CONFIRMATION_ACR, type DecisionEngineDeps } from "./engine.js";
export { asserterOf, type Asserter } from "./asserter.js";
export { resolveSubject, type ResolvedSubject } from "./subject.js";
export { decisionRequestSchema, subjectRefSchema, type DecisionRequest, type SubjectRef } from "./request.js";
export type { Decision, WhatIf } from "./decision-record.js";
export { PEP_REFUSAL_CODES, refusalRequestSchema, type PepRefusalCode, type RefusalRequest } from "./refusal.js";
export { ApprovalBook, type ApprovalRequest, type ApprovalState } from "./approvals.js";
export type { ApprovalFlow } from "./approval-flow.js";
export { GrantBook, type Grant, type GrantState } from "./grants.js";
export { revokeGrant, type GrantRevocationDeps } from "./grant-revocation.js";
export { BreakGlassBook, type BreakGlassSession } from "./break-glass.js";
export { BreakGlassFlow, BREAK_GLASS_ACTION, MAX_BREAK_GLASS_SECONDS, type BreakGlassOutcome, type BreakGlassStart } from "./break-glass-flow.js";
export { Replayer, NOT_REPLAYABLE, type ReplayOptions, type ReplayReport, type ReplaySample, type VerdictView } from "./replay.js";
export { DecisionLog, type DecisionFilter, type EnforcementReport, type ExplainedDecision, type LoggedRecord } from "./decision-log.js";
export { RateLimiter, type LimitSpec } from "./rate-limit.js";
export { argsDigest } from "./binding.js";
export { approvalView, grantView, sessionView } from "./views.js";
export { MAX_CANDIDATES, candidateSchema, visibilityRequestSchema, visibleTo, type Candidate, type Visibility } from "./visibility.js";
