// `arbiter mcp schema`: Cedar schema actions from a real upstream's tools (server-filesystem from npm), printed or merged, checked by Cedar.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { cedarType, toolActions } from "../../../src/enforce/mcp/index.js";
import { loadPolicyDir, schemaDeclarations } from "../../../src/policy/index.js";
import { arbiter, ROOT, tempDir } from "../../support/cli.js";
import { FILESYSTEM } from "./world.js";

const FILESYSTEM_TOOLS = [
  "read_file", "read_text_file", "read_media_file", "read_multiple_files", "write_file", "edit_file", "create_directory",
  "list_directory", "list_directory_with_sizes", "directory_tree", "move_file", "search_files", "get_file_info", "list_allowed_directories",
];

const root = tempDir("arbiter-mcp-schema-");
const files = join(root, "files");
const data = join(root, "data");
let printed = { status: 0 as number | null, stdout: "", stderr: "" };

beforeAll(() => {
  mkdirSync(files);
  printed = arbiter(["mcp", "schema", "--server-name", "filesystem", "--", process.execPath, FILESYSTEM, files]);
});

describe("arbiter mcp schema -- COMMAND", () => {
  it("prints an action per tool of server-filesystem, in the shape the gateway's schema uses, that Cedar parses", () => {
    expect(printed.status, printed.stderr).toBe(0);
    const lines = printed.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe('// Tools of the MCP server filesystem (arbiter mcp schema): action = the tool, resource = Tool::"filesystem/<tool>", arguments in context.args.');
    expect(lines[1]).toBe("entity Tool { server: String, read_only: Bool, destructive: Bool, idempotent: Bool, open_world: Bool, sensitivity?: String };");
    expect(lines).toContain("action write_file appliesTo { principal: [Agent], resource: [Tool], context: { args: { path?: String, content?: String } } };");
    expect(lines).toContain("action edit_file appliesTo { principal: [Agent], resource: [Tool], context: { args: { path?: String, edits?: Set<{ oldText?: String, newText?: String }>, dryRun?: Bool } } };");
    expect(lines).toContain("action list_allowed_directories appliesTo { principal: [Agent], resource: [Tool] };");
    // tail and head are JSON numbers: a safe integer reaches policy as a Long, any other as a string.
    expect(printed.stderr).toContain("note: tool read_file: argument(s) tail, head not declared");
    const declared = schemaDeclarations(printed.stdout);
    expect(declared.problems).toEqual([]);
    expect([...declared.actions].sort()).toEqual([...FILESYSTEM_TOOLS].sort());
  });

  it("makes every tool a known action of a policy set whose policies read the arguments", () => {
    const dir = join(root, "printed-set");
    mkdirSync(dir);
    writeFileSync(join(dir, "schema.cedarschema"), printed.stdout);
    writeFileSync(join(dir, "files.cedar"), [
      '@id("agents-use-files")',
      '@note("Agents may use the file tools.")',
      "permit (principal is Agent, action, resource is Tool);",
      '@id("no-env-files")',
      '@note("No .env file.")',
      '@reason("POLICY_FORBID")',
      'forbid (principal, action in [Action::"read_file", Action::"write_file"], resource) when { context.args has path && context.args.path like "*.env" };',
      '@id("no-empty-edits")',
      '@note("An edit edits something.")',
      '@reason("POLICY_FORBID")',
      'forbid (principal, action == Action::"edit_file", resource) when { context.args has edits && context.args.edits.isEmpty() };',
    ].join("\n"));
    const set = loadPolicyDir(dir);
    for (const tool of FILESYSTEM_TOOLS) expect(set.action(tool), tool).toMatchObject({ principalTypes: ["Agent"], resourceTypes: ["Tool"] });
  });
});

describe("arbiter mcp schema --merge", () => {
  it("adds the 12 tools the sample schema does not declare, keeps the 2 it does, and adds nothing twice", () => {
    const dir = join(root, "examples-set");
    cpSync(join(ROOT, "examples", "policies"), dir, { recursive: true });
    const schema = join(dir, "schema.cedarschema");
    const before = readFileSync(schema, "utf8");
    const merged = arbiter(["mcp", "schema", "--server-name", "filesystem", "--merge", schema, "--principal", "Agent,Human", "--", process.execPath, FILESYSTEM, files]);
    expect(merged.status, merged.stderr).toBe(0);
    const added = FILESYSTEM_TOOLS.filter((t) => t !== "read_file" && t !== "write_file");
    expect(merged.stdout).toBe(`${schema}: added 12 action(s): ${added.join(", ")}; already declared: read_file, write_file\n`);
    const after = readFileSync(schema, "utf8");
    expect(after.startsWith(before)).toBe(true);
    // The sample's own Tool entity stays; no second one is added.
    expect(after.match(/^entity Tool\b/gm)).toHaveLength(1);
    expect(after).toContain("action read_media_file appliesTo { principal: [Agent, Human], resource: [Tool], context: { args: { path?: String } } };");
    const set = loadPolicyDir(dir);
    for (const tool of FILESYSTEM_TOOLS) expect(set.action(tool), tool).toBeDefined();
    // The sample's own declaration of read_file is kept as it was.
    expect(set.action("read_file")?.groups).toEqual(["file_access"]);

    const again = arbiter(["mcp", "schema", "--server-name", "filesystem", "--merge", schema, "--", process.execPath, FILESYSTEM, files]);
    expect(again.stdout).toBe(`${schema}: added 0 action(s); already declared: ${FILESYSTEM_TOOLS.join(", ")}\n`);
    expect(readFileSync(schema, "utf8")).toBe(after);
  });

  it("refuses a file that is not a valid schema and leaves it as it was", () => {
    const schema = join(root, "broken.cedarschema");
    writeFileSync(schema, "entity Tool { server: String ;\n");
    const result = arbiter(["mcp", "schema", "--merge", schema, "--", process.execPath, FILESYSTEM, files]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/arbiter: .*broken\.cedarschema is not a valid schema: schema\.cedarschema:1:\d+: .* \[POLICY_INVALID\]\n$/);
    expect(readFileSync(schema, "utf8")).toBe("entity Tool { server: String ;\n");
  });
});

describe("arbiter mcp schema NAME", () => {
  it("starts a configured upstream by its name, and refuses an unknown name or principal type", () => {
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    expect(arbiter(["mcp", "add", "files", "--data", data, "--", process.execPath, FILESYSTEM, files]).status).toBe(0);
    const result = arbiter(["mcp", "schema", "files", "--data", data]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n")[0]).toContain('Tool::"files/<tool>"');
    expect([...schemaDeclarations(result.stdout).actions].sort()).toEqual([...FILESYSTEM_TOOLS].sort());
    expect(arbiter(["mcp", "schema", "nope", "--data", data])).toMatchObject({ status: 1, stderr: "arbiter: no upstream named nope (arbiter mcp list); for a command, put it after -- [NOT_FOUND]\n" });
    expect(arbiter(["mcp", "schema", "files", "--data", data, "--principal", "Robot"])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^arbiter: principal types are Agent, .*; got Robot \[USAGE\]\n$/) as unknown });
    expect(arbiter(["mcp", "schema", "--data", data])).toMatchObject({ status: 2, stderr: "arbiter: give one of NAME (a configured upstream), -- COMMAND ARGS... or --url URL [USAGE]\n" });
  });
});

describe("argument types", () => {
  it.each([
    [{ type: "string" }, "String"],
    [{ type: "integer" }, "Long"],
    [{ type: "boolean" }, "Bool"],
    [{ type: ["string", "null"] }, "String"],
    [{ enum: ["a", "b"] }, "String"],
    [{ const: "x" }, "String"],
    [{ type: "array", items: { type: "integer" } }, "Set<Long>"],
    [{ type: "object", properties: { "dry-run": { type: "boolean" }, n: { type: "number" } } }, '{ "dry-run"?: Bool }'],
    [{ type: "number" }, undefined],
    [{ type: ["string", "integer"] }, undefined],
    [{ enum: ["a", 1] }, undefined],
    [{ type: "array" }, undefined],
    [{ type: "object" }, undefined],
    [{ type: "object", properties: { 'say "hi"': { type: "string" } } }, undefined],
    [{ anyOf: [{ type: "string" }] }, undefined],
  ])("%j is %s", (schema, type) => {
    expect(cedarType(schema)).toBe(type);
  });

  it("stops at the engine's nesting limit", () => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < 8; i++) schema = { type: "object", properties: { a: schema } };
    expect(cedarType(schema)).toBeUndefined();
  });

  it("quotes names Cedar would not read bare, and leaves out tools it cannot name or that Arbiter reserves", () => {
    const tool = (name: string): Tool => ({ name, inputSchema: { type: "object" } });
    const out = toolActions([tool("get-sum"), tool("in"), tool('x"y'), tool("break_glass"), tool("a\nb")], ["Agent"]);
    expect(out.lines).toEqual(['action "get-sum" appliesTo { principal: [Agent], resource: [Tool] };', 'action "in" appliesTo { principal: [Agent], resource: [Tool] };']);
    expect(out.notes).toEqual(['tool x"y: a name Cedar cannot hold unescaped, left out', "tool break_glass: an action Arbiter reserves, left out", "a tool whose name is not plain ASCII, left out"]);
    expect(schemaDeclarations(["entity Tool;", ...out.lines].join("\n")).problems).toEqual([]);
  });
});

