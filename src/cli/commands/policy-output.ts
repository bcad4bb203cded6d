// How the policy commands print: a refused policy set lists every problem, not just the first.
import { isArbiterError } from "../../record/errors.js";
import type { PolicyProblem } from "../../policy/index.js";
import { action, EXIT, type JsonOption } from "../door.js";
import { human } from "../../record/index.js";

/** The default policy directory of the commands that take one. */
export const DEFAULT_POLICY_DIR = "policies";

function problemsOf(err: unknown): PolicyProblem[] | undefined {
  if (!isArbiterError(err) || err.code !== "POLICY_INVALID") return undefined;
  const problems = err.details.problems;
  return Array.isArray(problems) ? (problems as PolicyProblem[]) : undefined;
}

/** Like action(), but a POLICY_INVALID failure prints each of its problems (exit 1). */
export function policyAction<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return action(async (...args: A) => {
    const options = args.find((a): a is JsonOption => typeof a === "object" && a !== null && "json" in a);
    try {
      await fn(...args);
    } catch (err) {
      const problems = problemsOf(err);
      if (!problems) throw err;
      if (options?.json) {
        process.stdout.write(`${JSON.stringify({ error: { code: "POLICY_INVALID", message: (err as Error).message, problems } })}\n`);
      } else {
        const { formatProblem } = await import("../../policy/index.js");
        process.stderr.write(human`arbiter: the policy set was refused (${problems.length} problem${problems.length === 1 ? "" : "s"}) [POLICY_INVALID]\n`);
        for (const p of problems) process.stderr.write(human`  ${formatProblem(p)}\n`);
      }
      process.exitCode = EXIT.failed;
    }
  });
}
