// Loading policy directories: the sample set loads; every kind of broken set is refused whole, each problem placed.
import { describe, expect, it } from "vitest";
import { loadPolicyDir, type PolicyProblem } from "../../src/policy/index.js";
import { isArbiterError } from "../../src/record/index.js";
import { EXAMPLES, MINIMAL, policyDir } from "./policy-dirs.js";

function problemsOf(dir: string): PolicyProblem[] {
  try {
    loadPolicyDir(dir);
  } catch (err) {
    if (isArbiterError(err) && err.code === "POLICY_INVALID") return err.details.problems as PolicyProblem[];
    throw err;
  }
  throw new Error(`${dir} loaded, but it should have been refused`);
}

const POLICY = (annotations: string, body = 'permit (principal, action == Action::"read", resource);') => `${annotations}\n${body}\n`;

describe("loadPolicyDir on valid sets", () => {
  it("loads the sample set with every rule read from its annotations", () => {
    const set = loadPolicyDir(EXAMPLES);
    expect(set.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(set.rules.map((r) => r.id)).toEqual([...set.rules.map((r) => r.id)].sort());
    expect(set.rules).toHaveLength(12);
    expect(set.rule("production-approval")).toMatchObject({
      effect: "forbid",
      reason: "APPROVAL_REQUIRED",
      control: "approval",
      file: "deploy.cedar",
      line: 16,
      frameworks: ["NIST-CSF-2:PR.AA-05", "OWASP-NHI:NHI-8", "NIST-AI-RMF:GOVERN-3.2"],
      gate: { approvalTtlSeconds: 3600, grantUses: 1, grantTtlSeconds: 900, approverRole: "release-approver", allowOwnerApproval: false },
    });
    expect(set.rule("rotate-needs-fresh-mfa")).toMatchObject({ reason: "STEP_UP_REQUIRED", control: "step_up", stepUp: { maxAuthAgeSeconds: 300, acr: "mfa" } });
    expect(set.rule("support-query-customers")).toMatchObject({ reason: "DATA_MASKED", control: "masking", mask: { fields: ["$.customers[*].email"], detectors: ["payment_card"] } });
    expect(set.rule("agents-read-workspace")).toMatchObject({ reason: "POLICY_PERMIT", control: "access", note: "Agents may read files under /workspace." });
    expect(set.actions()).toEqual(["break_glass", "delete_records", "deploy", "query_customers", "read_file", "rotate_secret", "search_docs", "write_file"]);
    expect(set.action("read_file")).toEqual({ name: "read_file", principalTypes: ["Agent", "Human"], resourceTypes: ["Tool"], groups: ["file_access"] });
    expect(set.limits.map((l) => l.id)).toEqual(["agent-search", "deploy-quota"]);
    expect(set.limits[0]).toEqual({
      id: "agent-search",
      note: "Agents may search the docs 5 times a minute.",
      match: { principal_types: ["agent"], actions: ["search_docs"] },
      rate: { count: 5, perSeconds: 60 },
      burst: 5,
    });
    expect(set.warnings).toEqual([]);
    expect(set.sources["deploy-window"]).toEqual({ file: "deploy.cedar", line: 8 });
  });

  it("fills the defaults: reason and control from the effect, an empty IdentityAttributes", () => {
    const set = loadPolicyDir(MINIMAL);
    expect(set.rule("read-unrestricted")).toMatchObject({ effect: "permit", reason: "POLICY_PERMIT", control: "access", frameworks: [] });
    expect(set.rule("no-restricted-delete")).toMatchObject({ effect: "forbid", reason: "POLICY_FORBID", control: "access" });
    expect(set.content.schema[""]?.commonTypes).toBeUndefined();
    expect(Object.keys(set.content.schema[""]?.entityTypes ?? {})).toEqual(["Document"]);
  });

  it("finds policies in subdirectories and keeps x_ annotations", () => {
    const set = loadPolicyDir(policyDir({ "team/extra.cedar": POLICY('@id("extra") @note("n") @x_ticket("SEC-1")') }));
    expect(set.rule("extra")).toMatchObject({ file: "team/extra.cedar", line: 1, annotations: { id: "extra", note: "n", x_ticket: "SEC-1" } });
  });

  it("reports validator warnings without refusing the set", () => {
    const set = loadPolicyDir(policyDir({ "never.cedar": POLICY('@id("never") @note("n")', 'permit (principal is Agent, action == Action::"delete", resource);') }));
    expect(set.warnings.some((w) => w.policy === "never" && w.file === "never.cedar" && /impossible/.test(w.message))).toBe(true);
  });
});

/** Each damage and the exact problem it must produce. */
const REFUSALS: { name: string; changes: Parameters<typeof policyDir>[0]; problem: Omit<Partial<PolicyProblem>, "message"> & { message: RegExp | string } }[] = [
  { name: "missing-schema", changes: { "schema.cedarschema": null }, problem: { file: "schema.cedarschema", message: "missing: a policy directory needs a schema.cedarschema (Cedar schema, human syntax)" } },
  { name: "schema-syntax-error", changes: { "schema.cedarschema": (s) => s.replace("owner_team: String,", "owner_team String,") }, problem: { file: "schema.cedarschema", line: 2, message: /unexpected token/ } },
  { name: "schema-redeclares-builtin", changes: { "schema.cedarschema": (s) => `${s}entity Agent;\n` }, problem: { file: "schema.cedarschema", line: 6, column: 8, message: /`Agent` is declared twice: Agent is built in, remove it from schema.cedarschema/ } },
  { name: "schema-reserved-context", changes: { "schema.cedarschema": (s) => s.replace("args: { path: String }", "args: { path: String }, now: Long") }, problem: { file: "schema.cedarschema", message: /action read declares context.now, which Arbiter reserves/ } },
  { name: "schema-foreign-principal", changes: { "schema.cedarschema": (s) => `${s}action touch appliesTo { principal: [Document], resource: [Document] };\n` }, problem: { file: "schema.cedarschema", message: /action touch applies to principal type Document/ } },
  { name: "schema-namespace", changes: { "schema.cedarschema": (s) => `${s}namespace Acme { entity Thing; }\n` }, problem: { file: "schema.cedarschema", message: "namespace Acme is not supported: declare every type in the empty namespace" } },
  { name: "policy-syntax-error", changes: { "broken.cedar": "\n\npermit (principal, action, resource) when { 1 + };\n" }, problem: { file: "broken.cedar", line: 3, column: 49, message: /unexpected token `}`/ } },
  { name: "policy-template", changes: { "template.cedar": '@id("t") @note("n")\npermit (principal == ?principal, action, resource);\n' }, problem: { file: "template.cedar", line: 1, column: 1, message: "templates (policies with ?principal or ?resource slots) are not supported" } },
  { name: "missing-id", changes: { "x.cedar": POLICY('@note("n")') }, problem: { file: "x.cedar", line: 1, column: 1, message: 'missing @id("...")' } },
  { name: "missing-note", changes: { "x.cedar": POLICY('@id("x")') }, problem: { file: "x.cedar", line: 1, column: 1, policy: "x", message: 'missing @note("..."): the sentence shown in every record this policy decides' } },
  { name: "bad-id", changes: { "x.cedar": POLICY('@id("has space") @note("n")') }, problem: { file: "x.cedar", line: 1, column: 1, policy: "has space", message: /@id "has space" must be 1 to 128 letters/ } },
  { name: "duplicate-id", changes: { "x.cedar": POLICY('\n@note("n") @id("read-unrestricted")') }, problem: { file: "x.cedar", line: 2, column: 12, policy: "read-unrestricted", message: 'duplicate @id "read-unrestricted", first used at policies.cedar:3' } },
  { name: "unknown-reason", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("NOPE")') }, problem: { file: "x.cedar", line: 1, column: 21, policy: "x", message: '@reason "NOPE" is not a reason code (see docs/reason-codes.md)' } },
  { name: "finding-as-reason", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("UNLINKED_ACTION")') }, problem: { policy: "x", message: "@reason UNLINKED_ACTION is a linkage finding, not a decision" } },
  { name: "deny-reason-on-permit", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("POLICY_FORBID")') }, problem: { policy: "x", message: "@reason POLICY_FORBID means deny, which a permit cannot produce" } },
  { name: "error-reason-on-forbid", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("DECISION_ERROR")', 'forbid (principal, action, resource);') }, problem: { policy: "x", message: "@reason DECISION_ERROR means error, which a forbid cannot produce" } },
  { name: "unknown-control", changes: { "x.cedar": POLICY('@id("x") @note("n") @control("acess")') }, problem: { policy: "x", message: /@control "acess" is not one of access, approval/ } },
  { name: "misspelt-annotation", changes: { "x.cedar": POLICY('@id("x")\n@note("n")\n@frameworkz("A:B")') }, problem: { file: "x.cedar", line: 3, column: 1, policy: "x", message: "unknown annotation @frameworkz (did you mean @frameworks?); custom annotations start with x_" } },
  { name: "bad-framework", changes: { "x.cedar": POLICY('@id("x") @note("n") @frameworks("NIST")') }, problem: { policy: "x", message: '@frameworks entry "NIST" must look like FRAMEWORK:CONTROL, e.g. NIST-CSF-2:PR.AA-05' } },
  { name: "gate-on-plain-forbid", changes: { "x.cedar": POLICY('@id("x") @note("n") @approval_ttl("60")', "forbid (principal, action, resource);") }, problem: { policy: "x", message: '@approval_ttl belongs only on a forbid with @reason("APPROVAL_REQUIRED")' } },
  { name: "step-up-on-permit", changes: { "x.cedar": POLICY('@id("x") @note("n") @max_auth_age("60")') }, problem: { policy: "x", message: '@max_auth_age belongs only on a forbid with @reason("STEP_UP_REQUIRED")' } },
  { name: "mask-on-forbid", changes: { "x.cedar": POLICY('@id("x") @note("n") @mask_fields("$.a")', "forbid (principal, action, resource);") }, problem: { policy: "x", message: "@mask_fields belongs only on a permit" } },
  { name: "bad-mask-path", changes: { "x.cedar": POLICY('@id("x") @note("n") @mask_fields("customer.email")') }, problem: { policy: "x", message: '@mask_fields entry "customer.email" is not a JSON path like $.customer.email or $.items[*].card' } },
  { name: "masked-reason-without-mask", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("DATA_MASKED")') }, problem: { policy: "x", message: '@reason("DATA_MASKED") needs @mask_fields or @mask_detectors' } },
  { name: "non-numeric-ttl", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("APPROVAL_REQUIRED") @grant_ttl("10m")', "forbid (principal, action, resource);") }, problem: { policy: "x", message: '@grant_ttl "10m" must be a positive whole number' } },
  { name: "bad-owner-flag", changes: { "x.cedar": POLICY('@id("x") @note("n") @reason("APPROVAL_REQUIRED") @allow_owner_approval("yes")', "forbid (principal, action, resource);") }, problem: { policy: "x", message: '@allow_owner_approval must be "true" or "false", not "yes"' } },
  { name: "unknown-action", changes: { "x.cedar": POLICY('@id("x") @note("n")', '\npermit (principal, action == Action::"raed", resource);') }, problem: { file: "x.cedar", line: 3, column: 30, policy: "x", message: /unrecognized action `Action::"raed"` \(did you mean `Action::"read"`\?\)/ } },
  { name: "unknown-attribute", changes: { "x.cedar": POLICY('@id("x") @note("n")', 'permit (principal, action == Action::"read", resource)\nwhen { context.args.pth == "/a" };') }, problem: { file: "x.cedar", line: 3, column: 8, policy: "x", message: /attribute `args.pth` in context for Action::"read" not found \(did you mean `path`\?\)/ } },
  { name: "type-error", changes: { "x.cedar": POLICY('@id("x") @note("n")', 'forbid (principal, action == Action::"read", resource)\nwhen { context.now.hour > "9" };') }, problem: { file: "x.cedar", line: 3, policy: "x", message: "unexpected type: expected Long but saw String" } },
  { name: "optional-identity-attribute", changes: { "schema.cedarschema": (s) => `type IdentityAttributes = { team?: String };\n${s}`, "x.cedar": POLICY('@id("x") @note("n")', 'permit (principal, action == Action::"read", resource)\nwhen { principal.attributes.team == "a" };') }, problem: { file: "x.cedar", line: 3, policy: "x", message: /unable to guarantee safety of access to optional attribute `attributes.team`/ } },
  { name: "values-on-long", changes: { "schema.cedarschema": (s) => s.replace("entity Document {", "entity Document { @values(\"1,2\") level: Long,") }, problem: { file: "schema.cedarschema", message: "Document.level: @values applies only to String attributes" } },
  { name: "values-twice", changes: { "schema.cedarschema": (s) => s.replace("classification: String", '@values("open,Open") classification: String') }, problem: { file: "schema.cedarschema", message: "Document.classification: @values lists a value twice (values are compared without case)" } },
  { name: "paths-declared", changes: { "schema.cedarschema": (s) => s.replace("context: { args: { path: String } }", "context: { args: { path: String }, paths: String }") }, problem: { file: "schema.cedarschema", message: /action read declares context\.paths, which Arbiter reserves/ } },
  { name: "paths-of-undeclared-argument", changes: { "x.cedar": POLICY('@id("x") @note("n")', 'permit (principal, action == Action::"read", resource)\nwhen { context.paths.file.normal == "/a" };') }, problem: { file: "x.cedar", line: 3, policy: "x", message: /attribute `paths.file` in context for Action::"read" not found/ } },
  { name: "limits-bad-budget", changes: { "limits.yaml": "limits:\n  - id: l1\n    rate: 5/fortnight\n" }, problem: { file: "limits.yaml", line: 3, column: 11, message: 'limits.0.rate: "5/fortnight" is not a budget like "5/minute", "20/day" or "10/30s"' } },
  { name: "limits-unknown-action", changes: { "limits.yaml": "limits:\n  - id: l1\n    match: { actions: [raed] }\n    rate: 5/minute\n" }, problem: { file: "limits.yaml", line: 2, column: 5, message: "limit l1 matches action raed, which the schema does not declare" } },
  { name: "limits-duplicate-id", changes: { "limits.yaml": "limits:\n  - { id: l1, quota: 1/day }\n  - { id: l1, quota: 2/day }\n" }, problem: { file: "limits.yaml", line: 3, column: 5, message: "limit id l1 is used twice" } },
  { name: "limits-rate-and-quota", changes: { "limits.yaml": "limits:\n  - { id: l1, rate: 1/s, quota: 2/day }\n" }, problem: { file: "limits.yaml", message: "limits.0: a limit has exactly one of rate or quota" } },
  { name: "limits-yaml-syntax", changes: { "limits.yaml": "limits: [\n" }, problem: { file: "limits.yaml", line: 2, message: /Flow sequence/ } },
];

describe("loadPolicyDir refuses the whole set", () => {
  it.each(REFUSALS)("$name", ({ changes, problem }) => {
    const problems = problemsOf(policyDir(changes));
    const { message, ...place } = problem;
    const matching = problems.filter((p) => (message instanceof RegExp ? message.test(p.message) : p.message === message));
    expect(matching, JSON.stringify(problems, null, 2)).not.toHaveLength(0);
    expect(matching[0]).toMatchObject(place);
  });

  it("lists every problem at once, in file order, with POLICY_INVALID", () => {
    const dir = policyDir({ "a.cedar": POLICY('@id("a")'), "b.cedar": POLICY('@note("n")') });
    let error: unknown;
    try {
      loadPolicyDir(dir);
    } catch (err) {
      error = err;
    }
    expect(isArbiterError(error) && error.code).toBe("POLICY_INVALID");
    expect((error as Error).message).toBe('the policy set was refused: a.cedar:1:1: [a] missing @note("..."): the sentence shown in every record this policy decides (and 1 more)');
    expect(problemsOf(dir).map((p) => p.file)).toEqual(["a.cedar", "b.cedar"]);
  });

  it("refuses a path that is not a directory with NOT_FOUND", () => {
    expect(() => loadPolicyDir(`${MINIMAL}/nope`)).toThrowError(expect.objectContaining({ code: "NOT_FOUND" }) as Error);
  });
});
