// Turns schema issues into one readable sentence per problem ("subject.id: required"), for people writing records by hand.
import type { z } from "zod";
import { ArbiterError } from "./errors.js";
import { REASON_CODES } from "./reason-codes.js";

export interface RecordProblem {
  /** Where, as written in a record: `subject.id`, `obligations[0].fields`, or `record` for the whole. */
  path: string;
  problem: string;
}

/** ArbiterError INVALID_RECORD naming the first problem; details.problems lists them all. */
export function invalidRecord(problems: RecordProblem[]): ArbiterError {
  const [first] = problems;
  const head = first === undefined ? "record: invalid" : `${first.path}: ${first.problem}`;
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more ${problems.length === 2 ? "problem" : "problems"})` : "";
  return new ArbiterError("INVALID_RECORD", head + more, { problems });
}

/** Parses with `schema` or throws INVALID_RECORD explaining every problem. */
export function parseRecord<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const fast = schema.safeParse(input);
  if (fast.success) return fast.data;
  // reportInput (needed to tell "missing" from "wrong type") doubles the cost of a successful
  // parse, so it is paid only to explain a failure.
  const explained = schema.safeParse(input, { reportInput: true });
  throw invalidRecord(problemsOf((explained.error ?? fast.error).issues));
}

/** Unknown fields come first: a misspelt field also shows up as a missing one, and the typo is the cause. */
export function problemsOf(issues: readonly z.core.$ZodIssue[]): RecordProblem[] {
  const unknown: RecordProblem[] = [];
  const other: RecordProblem[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) unknown.push({ path: formatPath([...issue.path, key]), problem: "unknown field" });
    } else {
      other.push({ path: formatPath(issue.path), problem: describe(issue) });
    }
  }
  return [...unknown, ...other];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out === "" ? "record" : out;
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) return "required";
  switch (issue.code) {
    case "invalid_type":
      return `expected ${article(issue.expected)} (got ${typeName(issue.input)})`;
    case "invalid_value":
      if (issue.path.at(-1) === "reason_code") return reasonCodeProblem(issue.input);
      return `expected ${issue.values.length === 1 ? "" : "one of "}${issue.values.map(String).join(", ")} (got ${shown(issue.input)})`;
    case "invalid_union":
      return unionProblem(issue);
    case "too_small":
      if (issue.origin === "string") return "must not be empty";
      if (issue.origin === "array") return `must have at least ${String(issue.minimum)} ${issue.minimum === 1 ? "item" : "items"}`;
      return `must be at least ${String(issue.minimum)}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${String(issue.maximum)} characters`;
      return `must be at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

function unionProblem(issue: z.core.$ZodIssueInvalidUnion): string {
  const options = (issue as { options?: unknown }).options;
  const expected = Array.isArray(options) ? options.map(String).join(", ") : "";
  const input: unknown = issue.input;
  const given: unknown =
    typeof input === "object" && input !== null && issue.discriminator !== undefined
      ? (input as Record<string, unknown>)[issue.discriminator]
      : undefined;
  if (given === undefined) return `required (expected one of ${expected})`;
  if (issue.discriminator === "kind") return `unknown record kind ${shown(given)} (expected ${expected})`;
  return `expected one of ${expected} (got ${shown(given)})`;
}

// The reason-code list is too long to repeat in a message; a finding code is a likely mix-up.
function reasonCodeProblem(input: unknown): string {
  if (typeof input === "string" && Object.hasOwn(REASON_CODES, input)) {
    return `${input} is a finding code, which no decision carries`;
  }
  return `unknown reason code ${shown(input)} (docs/reason-codes.md lists them)`;
}

function article(expected: string): string {
  if (expected === "int") return "an integer";
  if (expected === "object" || expected === "array") return `an ${expected}`;
  return `a ${expected}`;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (typeof value === "number" && !Number.isInteger(value)) return "a fraction";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

// Values are echoed only where a schema expected a fixed word, and cut short: a misplaced secret
// should not travel into logs whole.
function shown(value: unknown): string {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value !== "string") return typeName(value);
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
