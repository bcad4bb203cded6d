// The record capability's front door: vocabulary, record schemas, canonical leaf bytes and commitments.
export { ArbiterError, ERROR_CODES, isArbiterError, type ErrorCode } from "./errors.js";
export { parseJsonPath, type JsonPathSegment } from "./json-path.js";
export {
  CONTROLS,
  IDENTITY_TYPES,
  OUTCOMES,
  controlSchema,
  identityTypeSchema,
  importedIdentityTypeSchema,
  outcomeSchema,
  type Control,
  type IdentityType,
  type Outcome,
} from "./vocabulary.js";
export {
  REASON_CODES,
  decisionReasonCodeSchema,
  isFinding,
  reasonCodeSchema,
  type DecisionReasonCode,
  type FindingCode,
  type ReasonCode,
  type ReasonCodeInfo,
} from "./reason-codes.js";
export {
  RECORD_KINDS,
  RECORD_VERSION,
  recordInputSchema,
  storedRecordSchema,
  type ApprovalRecord,
  type DecisionRecord,
  type EnforcementRecord,
  type EventRecord,
  type GrantRecord,
  type ImportedRecord,
  type LifecycleRecord,
  type NotificationRecord,
  type PolicyChangeRecord,
  type RecordInput,
  type RecordInputOfKind,
  type RecordKind,
  type RecordOfKind,
  type StoredRecord,
} from "./schema.js";
export type {
  Caller,
  Correlation,
  Credential,
  Delegation,
  Obligation,
  Pep,
  Policy,
  Resource,
  Subject,
} from "./parts.js";
export { findJsonProblem, type JsonObject, type JsonValue } from "./json-value.js";
export { argsDigestSchema, callerSchema, correlationSchema, isSensitivity, pepSchema, SENSITIVITY_LEVELS, sensitivitySchema, type Sensitivity } from "./parts.js";
export { checkBuilt, prepareBuilt, prepareRecord, redactPrepared, type PrepareOptions, type PreparedRecord, type RawValue } from "./prepare.js";
export { REDACTION_MARKER, redactRecord, redactText, redactionMarker } from "./redact.js";
export { SIZE_MARKER } from "./kinds.js";
export { LEAF_LIMIT_BYTES, decodeRecord, isCanonical } from "./leaf.js";
export { canonicalBytes, canonicalize } from "./canonical.js";
export { commitValue, verifyCommitment, type Commitment } from "./commitment.js";
export { newRecordId } from "./record-id.js";
export { randomHex } from "./entropy.js";
export { Listeners, type Listener } from "./listeners.js";
export { normalizeTimestamp } from "./time.js";
export {
  DETECTOR_NAMES,
  FOUND_KINDS,
  detect,
  findValues,
  isDetectorName,
  markerOf,
  sensitiveKind,
  type DetectorName,
  type Found,
  type FoundKind,
} from "./detectors.js";
export { luhnValid, maskPaymentCards } from "./payment-card.js";
export { escapeControls, human, humanJson } from "./human-text.js";
