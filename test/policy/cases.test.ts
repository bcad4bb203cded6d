// Policy test cases: the sample set's own cases pass, and failures report what actually happened.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPolicyCases, loadPolicyDir, runPolicyCases, type PolicyProblem } from "../../src/policy/index.js";
import { EXAMPLES, policyDir } from "./policy-dirs.js";

const FAILING = join(import.meta.dirname, "..", "fixtures", "policy", "failing-cases.yaml");

describe("policy test cases", () => {
  it("every case of examples/policies/tests.yaml passes, one per outcome", () => {
    const cases = loadPolicyCases(join(EXAMPLES, "tests.yaml"));
    expect(cases.policiesDir).toBe(EXAMPLES);
    const results = runPolicyCases(loadPolicyDir(EXAMPLES), cases.cases);
    expect(results.filter((r) => !r.passed)).toEqual([]);
    const reasons = new Set(results.flatMap((r) => ("reason" in r.actual ? [r.actual.reason] : [])));
    for (const reason of ["POLICY_PERMIT", "NO_MATCHING_PERMIT", "POLICY_FORBID", "OUTSIDE_TIME_WINDOW", "INTENT_MISMATCH", "APPROVAL_REQUIRED", "STEP_UP_REQUIRED", "DATA_MASKED", "BREAK_GLASS"]) {
      expect(reasons, reason).toContain(reason);
    }
  });

  it("reports the actual outcome, reason and policies of a failing case", () => {
    const cases = loadPolicyCases(FAILING);
    const results = runPolicyCases(loadPolicyDir(cases.policiesDir as string), cases.cases);
    expect(results.map((r) => r.passed)).toEqual([true, false, false]);
    expect(results[1]?.actual).toEqual({
      outcome: "deny",
      reason: "POLICY_FORBID",
      control: "access",
      policies: ["no-credential-files"],
      note: "No identity may read or write .env files or anything under a secrets directory.",
      obligations: [],
    });
    expect(results[2]?.actual).toMatchObject({ outcome: "allow", policies: ["pipelines-deploy"] });
  });

  it("refuses a malformed cases file with each problem at its line", () => {
    const dir = policyDir({ "cases.yaml": "policies: .\ncases:\n  - name: x\n    principal: { id: a, type: robot }\n    action: read\n    resource: { type: Document, id: d }\n    expect: { outcome: allow }\n" });
    let problems: PolicyProblem[] = [];
    try {
      loadPolicyCases(join(dir, "cases.yaml"));
    } catch (err) {
      problems = (err as { details: { problems: PolicyProblem[] } }).details.problems;
    }
    expect(problems.map((p) => [p.file, p.line, p.message.split(":")[0]])).toEqual([
      ["cases.yaml", 4, "cases.0.principal.type"],
      ["cases.yaml", 7, "cases.0.expect"],
    ]);
  });
});
