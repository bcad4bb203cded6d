// The policy capability's front door: Cedar policy sets loaded, versioned, sliced, evaluated, interpreted, tested and activated.
export { loadPolicyDir } from "./load.js";
export { compilePolicySet, type PolicySet, type PolicySource } from "./compile.js";
export { diffHash, diffPolicySets, policySetVersion, type PolicyDiff, type PolicySetContent } from "./content.js";
export type { ApprovalGate, MaskSpec, PolicyRule, StepUp } from "./rule.js";
export { SCHEMA_FILE, schemaDeclarations, type ActionInfo } from "./schema.js";
export { SENSITIVE_ANNOTATION, type SensitiveAttributes } from "./sensitive.js";
export { matchingLimits, type Budget, type LimitSubject, type RateLimitRule } from "./limits.js";
export { BUILTIN_SCHEMA_TEXT, PRINCIPAL_ENTITY_TYPES, RESERVED_CONTEXT } from "./builtin-schema.js";
export {
  REQUEST_LIMITS,
  buildCedarRequest,
  type CedarEntity,
  type CedarRequest,
  type CedarValue,
  type CedarValueJson,
  type DelegationLinkInput,
  type EntityRef,
  type RequestInput,
} from "./request.js";
export { PolicyEngine, type EngineOptions, type Evaluation, type EvaluateOptions } from "./engine.js";
export { interpret, type PolicyVerdict } from "./interpret.js";
export { mayAllow, type MayAllowOptions } from "./may-allow.js";
export { PolicyStore, type Activation, type ActivationEntry, type PolicyActor, type StoredVersion } from "./store.js";
export { DEFAULT_CASE_TIME, caseRequest, loadPolicyCases, runPolicyCases, type CaseActual, type CaseResult, type PolicyCase, type PolicyCases } from "./cases.js";
export { formatProblem, type PolicyProblem } from "./problems.js";
