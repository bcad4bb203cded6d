// Loading a policy directory: schema.cedarschema, every *.cedar file, optional limits.yaml; all of it or nothing.
import { policySetTextToParts, policyToJson } from "./cedar.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { ArbiterError } from "../record/errors.js";
import { assemble, type PolicyInput, type PolicySet } from "./compile.js";
import { LIMITS_FILE, parseLimits } from "./limits.js";
import { lineColumn, policyInvalid, type PolicyProblem } from "./problems.js";
import { SCHEMA_FILE, userSchemaFromText } from "./schema.js";

/** Policy files in a stable order (path order), found in the directory and its subdirectories. */
function cedarFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...cedarFiles(root, path));
    else if (entry.name.endsWith(".cedar")) out.push(relative(root, path).split(sep).join("/"));
  }
  return out.sort();
}

/**
 * Splits one file into policies, each with its offset in the file. Cedar returns each policy as
 * the exact slice of the source it came from (in the order of its own generated ids, not of the
 * file), so each slice is found in the file and the policies are put back in file order.
 */
function splitFile(file: string, text: string, problems: PolicyProblem[]): PolicyInput[] {
  const parts = policySetTextToParts(text);
  if (parts.type === "failure") {
    for (const error of parts.errors) {
      const start = error.sourceLocations?.[0]?.start;
      const label = error.sourceLocations?.[0]?.label;
      problems.push({ file, ...(start !== undefined ? lineColumn(text, start) : {}), message: label ? `${error.message} (${label})` : error.message });
    }
    return [];
  }
  const used = new Set<number>();
  const locate = (slice: string): number => {
    let at = text.indexOf(slice);
    while (at >= 0 && used.has(at)) at = text.indexOf(slice, at + 1);
    used.add(at);
    return Math.max(at, 0);
  };
  for (const template of parts.policy_templates) {
    problems.push({ file, ...lineColumn(text, locate(template)), message: "templates (policies with ?principal or ?resource slots) are not supported" });
  }
  const inputs: PolicyInput[] = [];
  for (const source of parts.policies) {
    const offset = locate(source);
    const json = policyToJson(source);
    if (json.type === "failure") {
      problems.push({ file, ...lineColumn(text, offset), message: json.errors.map((e) => e.message).join("; ") });
      continue;
    }
    inputs.push({ json: json.json, source, span: { file, text: source, offset, fileText: text }, origin: { file, line: lineColumn(text, offset).line } });
  }
  return inputs.sort((a, b) => a.span.offset - b.span.offset);
}

/** Loads and validates a policy directory. Throws ArbiterError POLICY_INVALID listing every problem found. */
export function loadPolicyDir(dir: string): PolicySet {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new ArbiterError("NOT_FOUND", `${dir} is not a policy directory`, { dir });
  }
  const problems: PolicyProblem[] = [];
  const schemaPath = join(dir, SCHEMA_FILE);
  let schemaText: string | undefined;
  if (existsSync(schemaPath)) schemaText = readFileSync(schemaPath, "utf8");
  else problems.push({ file: SCHEMA_FILE, message: `missing: a policy directory needs a ${SCHEMA_FILE} (Cedar schema, human syntax)` });
  const inputs = cedarFiles(dir).flatMap((file) => splitFile(file, readFileSync(join(dir, file), "utf8"), problems));
  const parsed = schemaText === undefined ? undefined : userSchemaFromText(schemaText);
  problems.push(...(parsed?.problems ?? []));
  if (!parsed?.schema) throw policyInvalid(problems);
  const limitsPath = join(dir, LIMITS_FILE);
  const limitsText = existsSync(limitsPath) ? readFileSync(limitsPath, "utf8") : undefined;
  return assemble(parsed.schema, inputs, (actions) => (limitsText === undefined ? { limits: [], problems: [] } : parseLimits(limitsText, actions)), problems);
}
