// Policy test cases as data (YAML): requests with the outcome, reason and policies each must get.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { z } from "zod";
import {
  canonicalBytes,
  controlSchema,
  decisionReasonCodeSchema,
  ERROR_CODES,
  identityTypeSchema,
  isArbiterError,
  outcomeSchema,
  type Control,
  type DecisionReasonCode,
  type ErrorCode,
  type Obligation,
  type Outcome,
} from "../record/index.js";
import type { PolicySet } from "./compile.js";
import { PolicyEngine } from "./engine.js";
import { interpret } from "./interpret.js";
import { policyInvalid } from "./problems.js";
import { buildCedarRequest, type CedarRequest } from "./request.js";
import { parseYaml } from "./yaml-source.js";

/** When a case gives no time: a Monday, midday UTC, so time windows are predictable. */
export const DEFAULT_CASE_TIME = "2025-01-06T12:00:00Z";

const json = z.record(z.string(), z.unknown());
const errorCodes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

const caseSchema = z.strictObject({
  name: z.string().min(1),
  principal: z.strictObject({
    id: z.string().min(1),
    type: identityTypeSchema,
    owner: z.string().default(""),
    status: z.string().default("active"),
    groups: z.array(z.string().min(1)).default([]),
    attributes: json.optional(),
  }),
  action: z.string().min(1),
  resource: z.strictObject({
    type: z.string().min(1),
    id: z.string().min(1),
    attributes: json.optional(),
    parents: z.array(z.strictObject({ type: z.string().min(1), id: z.string().min(1) })).optional(),
  }),
  context: json.optional(),
  now: z.iso.datetime({ offset: true }).default(DEFAULT_CASE_TIME),
  auth: z.strictObject({ method: z.string().default("api_key"), age_seconds: z.number().min(0).default(0), acr: z.string().default("") }).default({ method: "api_key", age_seconds: 0, acr: "" }),
  intent: z.string().optional(),
  delegation: z.array(z.strictObject({ id: z.string().min(1), type: identityTypeSchema, on_behalf_of: z.string().optional() })).optional(),
  args: z.unknown().optional(),
  /** Evaluate as decide/ does for a call that holds a grant: policies with these reasons are set aside. */
  exclude_reasons: z.array(decisionReasonCodeSchema).optional(),
  expect: z.union([
    z.strictObject({
      outcome: outcomeSchema,
      reason: decisionReasonCodeSchema,
      control: controlSchema.optional(),
      /** The determining policy ids, in any order; checked only when given. */
      policies: z.array(z.string()).optional(),
    }),
    z.strictObject({ error: z.enum(errorCodes) }),
  ]),
});

const fileSchema = z.strictObject({
  /** The policy directory, relative to the cases file. */
  policies: z.string().min(1).optional(),
  cases: z.array(caseSchema).min(1),
});

export type PolicyCase = z.infer<typeof caseSchema>;

export interface PolicyCases {
  file: string;
  /** Absolute policy directory named by the file, if it names one. */
  policiesDir: string | undefined;
  cases: PolicyCase[];
}

export type CaseActual =
  | { outcome: Outcome; reason: DecisionReasonCode; control: Control; policies: string[]; note: string; obligations: Obligation[] }
  | { error: string; message: string };

export interface CaseResult {
  name: string;
  passed: boolean;
  expected: PolicyCase["expect"];
  actual: CaseActual;
}

/** Reads and checks a cases file; a malformed file is refused with POLICY_INVALID problems at their lines. */
export function loadPolicyCases(path: string): PolicyCases {
  const { value, problems } = parseYaml(readFileSync(path, "utf8"), basename(path), fileSchema);
  if (!value) throw policyInvalid(problems);
  return { file: path, policiesDir: value.policies === undefined ? undefined : resolve(dirname(path), value.policies), cases: value.cases };
}

function argsDigest(args: unknown): string {
  return args === undefined ? "" : `sha256:${createHash("sha256").update(canonicalBytes(args)).digest("hex")}`;
}

/** The Cedar request a policy test case describes (also the sample requests of bench:decide). */
export function caseRequest(c: PolicyCase): CedarRequest {
  return buildCedarRequest({
    principal: { ...c.principal, attributes: c.principal.attributes ?? {} },
    action: c.action,
    resource: c.resource,
    ...(c.context ? { context: c.context } : {}),
    now: new Date(c.now),
    ...(c.intent !== undefined ? { intent: c.intent } : {}),
    auth: c.auth,
    ...(c.delegation ? { delegation: c.delegation } : {}),
    ...(c.args !== undefined ? { args: c.args } : {}),
    args_digest: argsDigest(c.args),
  });
}

function actualOf(engine: PolicyEngine, set: PolicySet, c: PolicyCase): CaseActual {
  try {
    const request = caseRequest(c);
    const v = interpret(set, engine.evaluate(request, c.exclude_reasons ? { excludeReasons: c.exclude_reasons } : {}));
    return { outcome: v.outcome, reason: v.reason_code, control: v.control, policies: v.determining, note: v.note, obligations: v.obligations };
  } catch (err) {
    if (isArbiterError(err)) return { error: err.code, message: err.message };
    throw err;
  }
}

function passes(expect: PolicyCase["expect"], actual: CaseActual): boolean {
  if ("error" in expect) return "error" in actual && actual.error === expect.error;
  if ("error" in actual) return false;
  if (actual.outcome !== expect.outcome || actual.reason !== expect.reason) return false;
  if (expect.control !== undefined && actual.control !== expect.control) return false;
  return expect.policies === undefined || [...expect.policies].sort().join("\n") === [...actual.policies].sort().join("\n");
}

/** Runs every case against `set` exactly as decide/ evaluates a request (same request building, engine and interpretation). */
export function runPolicyCases(set: PolicySet, cases: readonly PolicyCase[]): CaseResult[] {
  const engine = new PolicyEngine(set);
  try {
    return cases.map((c) => {
      const actual = actualOf(engine, set, c);
      return { name: c.name, passed: passes(c.expect, actual), expected: c.expect, actual };
    });
  } finally {
    engine.dispose();
  }
}
