// `arbiter policy validate|test`: check a policy directory, and run its test cases.
import { Command } from "commander";
import type { CaseActual, CaseResult, PolicyCase } from "../../policy/index.js";
import { ArbiterError } from "../../record/errors.js";
import { EXIT, printJson, withJson, type JsonOption } from "../door.js";
import { DEFAULT_POLICY_DIR, policyAction } from "./policy-output.js";
import { human } from "../../record/index.js";

export function validateCommand(): Command {
  return withJson(new Command("validate"))
    .description("parse and validate a policy directory (schema, policies, limits); print its version")
    .argument("[dir]", "policy directory", DEFAULT_POLICY_DIR)
    .action(
      policyAction(async (dir: string, options: JsonOption) => {
        const { formatProblem, loadPolicyDir } = await import("../../policy/index.js");
        const set = loadPolicyDir(dir);
        const permits = set.rules.filter((r) => r.effect === "permit").length;
        if (options.json) {
          printJson({ valid: true, dir, version: set.version, policies: set.rules.length, permits, forbids: set.rules.length - permits, limits: set.limits.length, actions: set.actions(), warnings: set.warnings });
          return;
        }
        process.stdout.write(human`valid: ${dir}\nversion: ${set.version}\npolicies: ${set.rules.length} (${permits} permit, ${set.rules.length - permits} forbid)\nlimits: ${set.limits.length}\n`);
        for (const w of set.warnings) process.stdout.write(human`warning: ${formatProblem(w)}\n`);
      }),
    );
}

export function describeExpected(e: PolicyCase["expect"]): string {
  if ("error" in e) return `error ${e.error}`;
  return `${e.outcome} ${e.reason}${e.control ? ` (${e.control})` : ""}${e.policies ? ` [${e.policies.join(", ")}]` : ""}`;
}

export function describeActual(a: CaseActual): string {
  if ("error" in a) return `error ${a.error}: ${a.message}`;
  return `${a.outcome} ${a.reason} (${a.control}) [${a.policies.join(", ")}]: ${a.note}`;
}

interface TestOptions extends JsonOption {
  policies?: string;
}

export function testCommand(): Command {
  return withJson(new Command("test"))
    .description("run policy test cases (YAML) and report each; exit 1 if any fails")
    .argument("<cases>", "YAML file of test cases")
    .option("--policies <dir>", "policy directory (default: the `policies` named in the file)")
    .action(
      policyAction(async (file: string, options: TestOptions) => {
        const { loadPolicyCases, loadPolicyDir, runPolicyCases } = await import("../../policy/index.js");
        const cases = loadPolicyCases(file);
        const dir = options.policies ?? cases.policiesDir;
        if (dir === undefined) throw new ArbiterError("USAGE", `${file} names no policy directory: add "policies: DIR" to it or pass --policies DIR`);
        const set = loadPolicyDir(dir);
        const results: CaseResult[] = runPolicyCases(set, cases.cases);
        const failed = results.filter((r) => !r.passed).length;
        if (options.json) {
          printJson({ version: set.version, passed: results.length - failed, failed, results });
        } else {
          for (const r of results) {
            process.stdout.write(human`${r.passed ? "PASS" : "FAIL"}  ${r.name}\n`);
            if (!r.passed) process.stdout.write(human`      expected ${describeExpected(r.expected)}\n      got      ${describeActual(r.actual)}\n`);
          }
          process.stdout.write(human`${results.length} cases: ${results.length - failed} passed, ${failed} failed (policy set ${set.version})\n`);
        }
        if (failed > 0) process.exitCode = EXIT.failed;
      }),
    );
}
