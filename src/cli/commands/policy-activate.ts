// What `policy activate` and `policy rollback` check first: the set's own tests, or the stored version asked for.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CaseResult, PolicySet, PolicyStore } from "../../policy/index.js";
import { ArbiterError } from "../../record/errors.js";
import type { JsonObject } from "../../record/index.js";
import { describeActual, describeExpected } from "./policy-check.js";

/** The test files `policy activate DIR` looks for in DIR when no --tests is given. */
export const TEST_FILES = ["tests.yaml", "tests.yml"] as const;

export interface ActivationChecks {
  skipTests?: boolean;
  tests?: string;
}

/** How the set's tests went, as the policy_change record keeps it (`attributes.tests`). */
export type TestsRecord =
  | { status: "passed"; file: string; passed: number }
  | { status: "skipped"; reason: string }
  | { status: "none"; reason: string }
  | { status: "not_run"; reason: string };

export const isStoredVersion = (target: string) => target.startsWith("sha256:");

export function storedSet(store: PolicyStore, version: string): PolicySet {
  const set = store.get(version);
  if (!set) throw new ArbiterError("NOT_FOUND", `no policy set version ${version} in the data directory; \`arbiter policy versions\` lists them`, { version });
  return set;
}

/**
 * Runs the set's own test cases (--tests FILE, else tests.yaml in DIR) and refuses the set with
 * POLICY_TESTS_FAILED when any fails, unless --skip-tests; the outcome goes into the record.
 */
export async function testBeforeActivation(set: PolicySet, dir: string, options: ActivationChecks): Promise<TestsRecord> {
  if (options.skipTests) return { status: "skipped", reason: "--skip-tests" };
  const file = options.tests ?? TEST_FILES.map((name) => join(dir, name)).find((path) => existsSync(path));
  if (file === undefined) return { status: "none", reason: `no ${TEST_FILES.join(" or ")} in ${dir}` };
  const { loadPolicyCases, runPolicyCases } = await import("../../policy/index.js");
  const results: CaseResult[] = runPolicyCases(set, loadPolicyCases(file).cases);
  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0) {
    const lines = failed.map((r) => `  FAIL  ${r.name}\n        expected ${describeExpected(r.expected)}\n        got      ${describeActual(r.actual)}`);
    throw new ArbiterError(
      "POLICY_TESTS_FAILED",
      `${failed.length} of ${results.length} test cases in ${file} failed; policy set ${set.version} was not activated (fix the set or the cases, or pass --skip-tests):\n${lines.join("\n")}`,
      { file, failed: failed.map((r) => r.name) },
    );
  }
  return { status: "passed", file, passed: results.length };
}

export function testsAttributes(tests: TestsRecord): JsonObject {
  return { tests: { ...tests } };
}
