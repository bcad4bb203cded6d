// Versions hash meaning, not layout: reformatting keeps a version, any semantic change moves it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compilePolicySet, diffHash, diffPolicySets, loadPolicyDir } from "../../src/policy/index.js";
import { policyToJson } from "../../src/policy/cedar.js";
import { MINIMAL, policyDir } from "./policy-dirs.js";

const base = loadPolicyDir(MINIMAL);
const policies = readFileSync(join(MINIMAL, "policies.cedar"), "utf8");
const [, first, second] = policies.split("\n\n@id").map((p) => `@id${p}`);

describe("policy set versions", () => {
  it.each([
    ["comments removed and line breaks changed", { "policies.cedar": (s: string) => s.replace(/\/\/[^\n]*\n/g, "").replace(/\n+/g, "\n\n\t ").replace(/\(/g, "(  ") }],
    ["annotations reordered", { "policies.cedar": (s: string) => s.replace('@id("read-unrestricted")\n@note("Anyone may read a document that is not restricted.")', '@note("Anyone may read a document that is not restricted.") @id("read-unrestricted")') }],
    ["policies split across files in another order", { "policies.cedar": null, "b.cedar": first as string, "a/z.cedar": second as string }],
    ["schema comments, layout and list order", { "schema.cedarschema": (s: string) => s.replace(/\/\/[^\n]*\n/g, "").replace("[Agent, Human]", "[Human,Agent]").replace(/;\n/g, ";\n\n\n") }],
    ["limits reordered and budgets respelt", { "limits.yaml": "limits: [{ id: b, quota: 1/day }, { id: a, rate: 60/hour }]" }],
  ])("keeps the version when only layout changes: %s", (_, changes) => {
    const withLimits = loadPolicyDir(policyDir({ "limits.yaml": "limits: [{ id: a, rate: 60/h }, { id: b, quota: 1/d }]" }));
    const changed = loadPolicyDir(policyDir({ "limits.yaml": "limits: [{ id: a, rate: 60/h }, { id: b, quota: 1/d }]", ...changes }));
    expect(changed.version).toBe(withLimits.version);
  });

  it.each([
    ["a changed condition", { "policies.cedar": (s: string) => s.replace('resource.classification != "restricted"', 'resource.classification != "secret"') }],
    ["a changed note", { "policies.cedar": (s: string) => s.replace("Restricted documents are never deleted.", "Restricted documents stay.") }],
    ["a new x_ annotation", { "policies.cedar": (s: string) => s.replace('@id("read-unrestricted")', '@id("read-unrestricted") @x_owner("sec")') }],
    ["a new policy", { "more.cedar": '@id("m") @note("n") permit (principal, action == Action::"read", resource);' }],
    ["a schema attribute", { "schema.cedarschema": (s: string) => s.replace("classification: String", "classification: String, size: Long") }],
    ["a limit", { "limits.yaml": "limits: [{ id: a, rate: 5/minute }]" }],
  ])("moves the version on %s", (_, changes) => {
    expect(loadPolicyDir(policyDir(changes)).version).not.toBe(base.version);
  });

  it("stores formatted Cedar text without comments that parses back to the same policy", () => {
    const rule = base.rule("read-unrestricted");
    expect(rule?.text).toBe(
      '@id("read-unrestricted")\n@note("Anyone may read a document that is not restricted.")\npermit (\n  principal,\n  action == Action::"read",\n  resource is Document\n)\nwhen { resource.classification != "restricted" };',
    );
    for (const r of base.rules) {
      const fromText = policyToJson(r.text);
      const fromSource = policyToJson(policies.slice(policies.indexOf(`@id("${r.id}")`)).split(";")[0] + ";");
      expect(fromText.type === "success" && fromText.json).toEqual(fromSource.type === "success" && fromSource.json);
    }
  });

  it("compiles stored content back to the same set", () => {
    const again = compilePolicySet(JSON.parse(JSON.stringify(base.content)) as typeof base.content, base.sources);
    expect(again.version).toBe(base.version);
    expect(again.rules).toEqual(base.rules);
    expect(compilePolicySet(base.content).rule("read-unrestricted")).toMatchObject({ file: "", text: base.rule("read-unrestricted")?.text });
  });

  it("refuses stored content whose policy text no longer matches its id", () => {
    const content = { ...base.content, policies: base.content.policies.map((p) => ({ ...p, id: `${p.id}-x` })) };
    expect(() => compilePolicySet(content)).toThrowError(/stored as no-restricted-delete-x but its @id is "no-restricted-delete"/);
  });

  it("diffs two versions by policy id, schema and limits, with a stable hash", () => {
    const next = loadPolicyDir(policyDir({
      "policies.cedar": (s) => s.replace('!= "restricted"', '!= "secret"').replace(/@id\("no-restricted-delete"\)[\s\S]*$/, ""),
      "new.cedar": '@id("new") @note("n") permit (principal, action == Action::"read", resource);',
      "limits.yaml": "limits: [{ id: a, rate: 5/minute }]",
    }));
    const diff = diffPolicySets(base.content, next.content);
    expect(diff).toEqual({
      from_version: base.version,
      to_version: next.version,
      added: ["new"],
      removed: ["no-restricted-delete"],
      changed: ["read-unrestricted"],
      schema_changed: false,
      limits_changed: true,
    });
    expect(diffHash(diff)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(diffHash(diffPolicySets(base.content, next.content))).toBe(diffHash(diff));
    expect(diffPolicySets(undefined, base.content)).toMatchObject({ from_version: null, added: ["no-restricted-delete", "read-unrestricted"], schema_changed: true });
  });
});
