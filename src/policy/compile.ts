// Assembling a policy set: annotations read, policies validated strictly against the merged schema, version computed, scopes indexed.
import { formatPolicies, policyToJson, policyToText, validate, type DetailedError, type PolicyJson } from "./cedar.js";
import { ArbiterError } from "../record/errors.js";
import { policySetContentSchema, policySetVersion, type PolicySetContent } from "./content.js";
import { sortLimits, type RateLimitRule } from "./limits.js";
import { policyInvalid, problemAt, type PolicyProblem, type SourceSpan } from "./problems.js";
import { readRule, type PolicyRule } from "./rule.js";
import { mergeSchema, SCHEMA_FILE, type ActionInfo, type SchemaInfo, type SchemaJsonForm } from "./schema.js";
import { policyScope, type PolicyScope } from "./scope.js";
import { sensitiveAttributes, type SensitiveAttributes } from "./sensitive.js";
import { policyUsage, type PolicyUsage } from "./usage.js";

/** Where a policy came from, kept beside a stored version (not part of it: layout does not change a version). */
export interface PolicySource {
  file: string;
  line: number;
}

export interface PolicySet {
  /** "sha256:" + hex digest of the canonical content. */
  readonly version: string;
  /** In id order. */
  readonly rules: readonly PolicyRule[];
  rule(id: string): PolicyRule | undefined;
  readonly limits: readonly RateLimitRule[];
  /** What the version hashes and the store keeps; compilePolicySet(content) gives this set back. */
  readonly content: PolicySetContent;
  readonly sources: Readonly<Record<string, PolicySource>>;
  /** Validator warnings (a policy that can never apply, say); they do not refuse the set. */
  readonly warnings: readonly PolicyProblem[];
  /** The requestable actions, sorted. */
  actions(): string[];
  action(name: string): ActionInfo | undefined;
  /** Attributes the schema marks `@sensitive`: a decision record keeps only commitments to their values. */
  readonly sensitive: SensitiveAttributes;
}

/** One policy on its way in: its parsed JSON, the text to validate, and where that text sits. */
export interface PolicyInput {
  json: PolicyJson;
  source: string;
  span: SourceSpan & { fileText: string };
  /** Already canonical text (stored content); computed when absent. */
  canonical?: string;
  /** The id the stored content files it under, which its @id must repeat. */
  storedId?: string;
  /** The file and line it was written at, when known. */
  origin?: PolicySource;
}

export interface CompiledPolicy {
  rule: PolicyRule;
  scope: PolicyScope;
  usage: PolicyUsage;
}

/** What the engine needs beyond the public set; kept off the public interface. */
export interface CompiledSet {
  info: SchemaInfo;
  policies: readonly CompiledPolicy[];
}

const compiled = new WeakMap<PolicySet, CompiledSet>();

export function compiledOf(set: PolicySet): CompiledSet {
  const c = compiled.get(set);
  if (!c) throw new ArbiterError("POLICY_INVALID", "this policy set was not built by loadPolicyDir or compilePolicySet");
  return c;
}

function cedarMessage(error: DetailedError): string {
  const strip = (s: string) => s.replace(/^for policy `[^`]*`, /, "");
  return error.help ? `${strip(error.message)} (${strip(error.help)})` : strip(error.message);
}

/** Comments and layout are dropped: the text is rebuilt from Cedar's JSON form, then formatted. */
export function canonicalText(json: PolicyJson): string {
  const text = policyToText(json);
  if (text.type === "failure") throw new Error(`Cedar could not print a policy: ${text.errors.map((e) => e.message).join("; ")}`);
  const formatted = formatPolicies({ policyText: text.text });
  return (formatted.type === "success" ? formatted.formatted_policy : text.text).trim();
}

function annotationOffset(source: string, message: string): number {
  const name = /@(\w+)/.exec(message)?.[1];
  if (name === undefined) return 0;
  const at = new RegExp(`@${name}\\b`).exec(source);
  return at ? at.index : 0;
}

export function assemble(
  schema: SchemaJsonForm,
  inputs: readonly PolicyInput[],
  limitsOf: (actions: ReadonlySet<string>) => { limits: RateLimitRule[]; problems: PolicyProblem[] },
  earlier: readonly PolicyProblem[] = [],
): PolicySet {
  const problems: PolicyProblem[] = [...earlier];
  const { merged, info, problems: schemaProblems } = mergeSchema(schema);
  problems.push(...schemaProblems);
  const rules: (PolicyRule | undefined)[] = [];
  const firstSeen = new Map<string, PolicyInput>();
  const keys: string[] = [];
  inputs.forEach((input, i) => {
    const annotations = input.json.annotations ?? {};
    const id = annotations.id;
    const { fields, problems: ruleProblems } = readRule(input.json.effect, annotations);
    for (const message of ruleProblems) problems.push(problemAt(input.span, annotationOffset(input.source, message), message, id));
    if (input.storedId !== undefined && id !== input.storedId) {
      problems.push(problemAt(input.span, 0, `stored as ${input.storedId} but its @id is ${JSON.stringify(id ?? null)}`, input.storedId));
    }
    const first = id === undefined ? undefined : firstSeen.get(id);
    if (first) {
      const where = problemAt(first.span, 0, "");
      problems.push(problemAt(input.span, annotationOffset(input.source, "@id"), `duplicate @id ${JSON.stringify(id)}, first used at ${where.file}:${where.line ?? 1}`, id));
    } else if (id !== undefined) {
      firstSeen.set(id, input);
    }
    keys.push(fields && !first ? fields.id : `#${i}`);
    rules.push(
      fields && !first
        ? { ...fields, file: input.origin?.file ?? "", ...(input.origin ? { line: input.origin.line } : {}), text: "" }
        : undefined,
    );
  });

  const staticPolicies: Record<string, string> = {};
  inputs.forEach((input, i) => (staticPolicies[keys[i] as string] = input.source));
  const answer = validate({
    schema: merged,
    policies: { staticPolicies },
    validationSettings: { mode: "strict" },
  });
  const warnings: PolicyProblem[] = [];
  if (answer.type === "failure") {
    problems.push(...answer.errors.map((e) => ({ file: SCHEMA_FILE, message: cedarMessage(e) })));
  } else {
    const byKey = new Map(inputs.map((input, i) => [keys[i] as string, input]));
    const place = (list: PolicyProblem[], found: { policyId: string; error: DetailedError }[]) => {
      for (const { policyId, error } of found) {
        const input = byKey.get(policyId);
        if (!input) continue;
        list.push(problemAt(input.span, error.sourceLocations?.[0]?.start, cedarMessage(error), input.json.annotations?.id));
      }
    };
    place(problems, answer.validationErrors);
    place(warnings, answer.validationWarnings);
  }
  const { limits, problems: limitProblems } = limitsOf(new Set(info.actions.keys()));
  problems.push(...limitProblems);
  if (problems.length > 0) throw policyInvalid(problems);

  const policies: CompiledPolicy[] = inputs.map((input, i) => {
    const rule = rules[i] as PolicyRule;
    rule.text = input.canonical ?? canonicalText(input.json);
    return { rule, scope: policyScope(input.json, info), usage: policyUsage(input.json) };
  });
  policies.sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
  const content: PolicySetContent = { schema, policies: policies.map(({ rule }) => ({ id: rule.id, text: rule.text })), limits };
  const byId = new Map(policies.map((p) => [p.rule.id, p.rule]));
  const actions = [...info.actions.keys()].sort();
  const set: PolicySet = {
    version: policySetVersion(content),
    rules: policies.map((p) => p.rule),
    rule: (id) => byId.get(id),
    limits,
    content,
    sources: Object.fromEntries(policies.filter((p) => p.rule.file !== "").map((p) => [p.rule.id, { file: p.rule.file, line: p.rule.line ?? 1 }])),
    warnings,
    actions: () => [...actions],
    action: (name) => info.actions.get(name),
    sensitive: sensitiveAttributes(schema),
  };
  compiled.set(set, { info, policies });
  return set;
}

/** Rebuilds a set from stored content (as `set.content` gave it), validating it again against today's built-in schema. */
export function compilePolicySet(content: PolicySetContent, sources: Readonly<Record<string, PolicySource>> = {}): PolicySet {
  const parsed = policySetContentSchema.safeParse(content);
  if (!parsed.success) {
    throw policyInvalid(parsed.error.issues.map((issue) => ({ file: "stored content", message: `${issue.path.join(".")}: ${issue.message}` })));
  }
  const problems: PolicyProblem[] = [];
  const inputs: PolicyInput[] = [];
  for (const { id, text } of content.policies) {
    const source = sources[id];
    const span = { file: `policy ${id}`, text, offset: 0, fileText: text };
    const json = policyToJson(text);
    if (json.type === "failure") {
      problems.push({ file: span.file, policy: id, message: json.errors.map(cedarMessage).join("; ") });
      continue;
    }
    inputs.push({ json: json.json, source: text, span, canonical: text, storedId: id, ...(source ? { origin: source } : {}) });
  }
  return assemble(content.schema, inputs, (actions) => ({
    limits: sortLimits(content.limits),
    problems: content.limits.flatMap((l) =>
      (l.match.actions ?? []).filter((a) => !actions.has(a)).map((a) => ({ file: "limits", message: `limit ${l.id} matches undeclared action ${a}` })),
    ),
  }), problems);
}
