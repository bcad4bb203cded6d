// Where an enforcement point gets its decisions: the engine in this process, or a running Arbiter over HTTP.
export type { ApprovalStatus, DecisionPoint } from "./point.js";
export { LocalDecisionPoint, type DecidingRuntime, type LocalDecisionPointOptions } from "./local.js";
export { PEP_CREDENTIAL_ENV, RemoteDecisionPoint } from "./remote.js";
