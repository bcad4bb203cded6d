// A policy's annotations read into Arbiter's vocabulary: id, reason, control, note, and the extras of gates, step-up and masking.
import { CONTROLS, REASON_CODES, isFinding, parseJsonPath, type Control, type DecisionReasonCode, type ReasonCode } from "../record/index.js";

export interface ApprovalGate {
  approvalTtlSeconds: number;
  grantUses: number;
  grantTtlSeconds: number;
  approverRole: string;
  allowOwnerApproval: boolean;
}

export interface StepUp {
  maxAuthAgeSeconds?: number;
  acr?: string;
}

export interface MaskSpec {
  fields: string[];
  detectors: string[];
}

export interface PolicyRule {
  id: string;
  effect: "permit" | "forbid";
  reason: DecisionReasonCode;
  control: Control;
  note: string;
  frameworks: string[];
  /** Every annotation as written, `x_` ones included. */
  annotations: Readonly<Record<string, string>>;
  /** Where the policy was loaded from: a path relative to the policy directory, or "" when unknown. */
  file: string;
  line?: number;
  /** The Cedar-formatted text (comments and layout dropped): what the version is computed from. */
  text: string;
  gate?: ApprovalGate;
  stepUp?: StepUp;
  mask?: MaskSpec;
}

export type RuleFields = Omit<PolicyRule, "file" | "line" | "text">;

export const GATE_DEFAULTS: ApprovalGate = {
  approvalTtlSeconds: 900,
  grantUses: 1,
  grantTtlSeconds: 600,
  approverRole: "approver",
  allowOwnerApproval: false,
};

const GATE_KEYS = ["approval_ttl", "grant_uses", "grant_ttl", "approver_role", "allow_owner_approval"];
const STEP_UP_KEYS = ["max_auth_age", "acr"];
const MASK_KEYS = ["mask_fields", "mask_detectors"];
const KNOWN = new Set(["id", "reason", "control", "note", "frameworks", ...GATE_KEYS, ...STEP_UP_KEYS, ...MASK_KEYS]);

export const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const FRAMEWORK_REF = /^[A-Za-z0-9][A-Za-z0-9._-]*:[A-Za-z0-9][A-Za-z0-9._-]*$/;
const POSITIVE = /^[1-9][0-9]{0,8}$/;
const DETECTOR = /^[A-Za-z0-9_.:-]{1,64}$/;
const ROLE = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_NOTE = 1000;

function list(value: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function closest(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of KNOWN) {
    const d = distance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

// Levenshtein distance, only to suggest the annotation a typo meant.
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

function isReason(value: string): value is ReasonCode {
  return Object.hasOwn(REASON_CODES, value);
}

/**
 * Reads a policy's annotations. Returns the rule fields, or the problems (messages without a
 * location: the caller knows where the policy is).
 */
export function readRule(effect: "permit" | "forbid", annotations: Readonly<Record<string, string>>): { fields?: RuleFields; problems: string[] } {
  const problems: string[] = [];
  const a = annotations;
  for (const key of Object.keys(a)) {
    if (KNOWN.has(key) || key.startsWith("x_")) continue;
    const hint = closest(key);
    problems.push(`unknown annotation @${key}${hint ? ` (did you mean @${hint}?)` : ""}; custom annotations start with x_`);
  }
  const id = a.id;
  if (id === undefined) problems.push('missing @id("...")');
  else if (!POLICY_ID.test(id)) problems.push(`@id ${JSON.stringify(id)} must be 1 to 128 letters, digits or . _ : - and start with a letter or digit`);
  const note = a.note?.trim();
  if (note === undefined || note === "") problems.push('missing @note("..."): the sentence shown in every record this policy decides');
  else if (note.length > MAX_NOTE) problems.push(`@note is longer than ${MAX_NOTE} characters`);

  const masking = MASK_KEYS.some((k) => k in a);
  let reason: DecisionReasonCode = effect === "forbid" ? "POLICY_FORBID" : masking ? "DATA_MASKED" : "POLICY_PERMIT";
  if (a.reason !== undefined) {
    if (!isReason(a.reason)) problems.push(`@reason ${JSON.stringify(a.reason)} is not a reason code (see docs/reason-codes.md)`);
    else if (isFinding(a.reason)) problems.push(`@reason ${a.reason} is a linkage finding, not a decision`);
    else {
      reason = a.reason;
      const outcome = REASON_CODES[a.reason].outcome;
      if (effect === "permit" && outcome !== "allow") problems.push(`@reason ${a.reason} means ${outcome}, which a permit cannot produce`);
      if (effect === "forbid" && outcome !== "deny" && outcome !== "challenge") problems.push(`@reason ${a.reason} means ${outcome}, which a forbid cannot produce`);
    }
  }
  let control: Control = REASON_CODES[reason].control;
  if (a.control !== undefined) {
    if ((CONTROLS as readonly string[]).includes(a.control)) control = a.control as Control;
    else problems.push(`@control ${JSON.stringify(a.control)} is not one of ${CONTROLS.join(", ")}`);
  }
  const frameworks = list(a.frameworks ?? "");
  for (const f of frameworks) if (!FRAMEWORK_REF.test(f)) problems.push(`@frameworks entry ${JSON.stringify(f)} must look like FRAMEWORK:CONTROL, e.g. NIST-CSF-2:PR.AA-05`);

  const only = (keys: string[], allowed: boolean, what: string) => {
    for (const k of keys) if (k in a && !allowed) problems.push(`@${k} ${what}`);
  };
  only(GATE_KEYS, reason === "APPROVAL_REQUIRED", 'belongs only on a forbid with @reason("APPROVAL_REQUIRED")');
  only(STEP_UP_KEYS, reason === "STEP_UP_REQUIRED", 'belongs only on a forbid with @reason("STEP_UP_REQUIRED")');
  only(MASK_KEYS, effect === "permit", "belongs only on a permit");

  const positive = (key: string, fallback: number): number => {
    const value = a[key];
    if (value === undefined) return fallback;
    if (!POSITIVE.test(value)) problems.push(`@${key} ${JSON.stringify(value)} must be a positive whole number`);
    return Number(value);
  };
  const fields: RuleFields = { id: id ?? "", effect, reason, control, note: note ?? "", frameworks, annotations: { ...a } };
  if (reason === "APPROVAL_REQUIRED") {
    const role = a.approver_role ?? GATE_DEFAULTS.approverRole;
    if (!ROLE.test(role)) problems.push(`@approver_role ${JSON.stringify(role)} must be 1 to 64 letters, digits or _ . : -`);
    const owner = a.allow_owner_approval ?? "false";
    if (owner !== "true" && owner !== "false") problems.push(`@allow_owner_approval must be "true" or "false", not ${JSON.stringify(owner)}`);
    fields.gate = {
      approvalTtlSeconds: positive("approval_ttl", GATE_DEFAULTS.approvalTtlSeconds),
      grantUses: positive("grant_uses", GATE_DEFAULTS.grantUses),
      grantTtlSeconds: positive("grant_ttl", GATE_DEFAULTS.grantTtlSeconds),
      approverRole: role,
      allowOwnerApproval: owner === "true",
    };
  }
  if (reason === "STEP_UP_REQUIRED") {
    fields.stepUp = {
      ...(a.max_auth_age !== undefined ? { maxAuthAgeSeconds: positive("max_auth_age", 0) } : {}),
      ...(a.acr !== undefined && a.acr !== "" ? { acr: a.acr } : {}),
    };
  }
  if (masking && effect === "permit") {
    const maskFields = list(a.mask_fields ?? "");
    const detectors = list(a.mask_detectors ?? "");
    for (const f of maskFields) if (parseJsonPath(f) === undefined) problems.push(`@mask_fields entry ${JSON.stringify(f)} is not a JSON path like $.customer.email or $.items[*].card`);
    for (const d of detectors) if (!DETECTOR.test(d)) problems.push(`@mask_detectors entry ${JSON.stringify(d)} must be 1 to 64 letters, digits or _ . : -`);
    if (maskFields.length + detectors.length === 0) problems.push("@mask_fields and @mask_detectors name nothing to mask");
    fields.mask = { fields: maskFields, detectors };
  }
  if (reason === "DATA_MASKED" && !masking) problems.push('@reason("DATA_MASKED") needs @mask_fields or @mask_detectors');
  return problems.length ? { problems } : { fields, problems };
}
