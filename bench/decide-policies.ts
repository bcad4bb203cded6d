// Policy sets of a given size for bench:decide: the sample set padded with policies on unrelated actions.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Copies examples/policies and pads it to `size` policies: permits and forbids on other actions and
 * resource types (with conditions, groups and context reads), the shape a real multi-team set grows into.
 */
export function paddedPolicySet(examples: string, into: string, size: number): string {
  const dir = join(into, `set-${size}`);
  mkdirSync(dir, { recursive: true });
  cpSync(examples, dir, { recursive: true });
  const base = readFileSync(join(examples, "schema.cedarschema"), "utf8");
  const extra = Math.max(0, size - 12);
  const actions = Math.max(1, Math.ceil(extra / 10));
  const schema = Array.from(
    { length: actions },
    (_, a) => `action other${a} appliesTo { principal: [Agent, Human, Pipeline, ServiceAccount], resource: [Tool, Dataset], context: { args: { path: String } } };`,
  ).join("\n");
  writeFileSync(join(dir, "schema.cedarschema"), `${base}\n${schema}\n`);
  const policies = Array.from({ length: extra }, (_, i) => {
    const effect = i % 4 === 0 ? "forbid" : "permit";
    const principal = i % 3 === 0 ? `principal in Group::"g${i % 11}"` : "principal";
    return `@id("o${i}") @note("Team policy ${i}.") ${effect} (${principal}, action == Action::"other${i % actions}", resource is ${i % 2 ? "Tool" : "Dataset"}) when { context.args.path like "/x/${i}/*" && context.now.hour > ${i % 24} };`;
  });
  writeFileSync(join(dir, "other.cedar"), `${policies.join("\n\n")}\n`);
  return dir;
}
