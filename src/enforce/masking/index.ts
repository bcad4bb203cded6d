// Masking for enforcement points: detectors and JSON paths applied to payloads before a model or an upstream sees them.
export { DETECTOR_NAMES, detect, isDetectorName, luhnValid, markerOf, maskPaymentCards, parseJsonPath, type DetectorName, type JsonPathSegment } from "../../record/index.js";
export { ARGUMENTS_DETECTOR_PREFIX, ARGUMENTS_PATH, FIELD_COUNTER, MaskTally, isEmpty, maskJson, maskPlan, maskText, type MaskPlan, type MaskPlanResult, type MaskSpec } from "./mask.js";
