// Cedar schema actions for an upstream's tools, argument types taken from each tool's inputSchema, and their merge into a schema file.
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { PRINCIPAL_ENTITY_TYPES, schemaDeclarations, formatProblem } from "../../policy/index.js";
import { ArbiterError } from "../../record/index.js";
import { TOOL_TYPE } from "./mapping.js";
import { Upstream, type UpstreamSpec } from "./upstream.js";

/**
 * The Tool entity as the gateway fills it in (mapping.ts: the upstream's hints with MCP's defaults,
 * and the upstream's sensitivity when configured).
 */
export const TOOL_ENTITY_TEXT = `entity ${TOOL_TYPE} { server: String, read_only: Bool, destructive: Bool, idempotent: Bool, open_world: Bool, sensitivity?: String };`;

/** Built-in actions (src/policy/builtin-schema.ts) a tool cannot be declared as. */
const RESERVED_ACTIONS: ReadonlySet<string> = new Set(["break_glass"]);
/** A listing that pages forever is cut here. */
const MAX_TOOLS = 10_000;

/** Arguments nested deeper are refused by the engine anyway (REQUEST_LIMITS). */
const MAX_DEPTH = 8;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What a Cedar string literal holds without escapes, and a comment without surprises. */
const PLAIN = /^[\x20-\x7e]{1,128}$/;
const CEDAR_KEYWORDS = new Set(["action", "appliesTo", "context", "entity", "in", "namespace", "principal", "resource", "type", "Bool", "Long", "String", "Set", "Record", "Entity", "Extension", "tags", "enum"]);

function cedarName(name: string): string | undefined {
  if (IDENTIFIER.test(name) && !CEDAR_KEYWORDS.has(name)) return name;
  return PLAIN.test(name) && !/["\\]/.test(name) ? `"${name}"` : undefined;
}

type JsonSchema = Record<string, unknown>;

const isObject = (value: unknown): value is JsonSchema => typeof value === "object" && value !== null && !Array.isArray(value);

/** The one JSON type a schema names (`["string", "null"]` is a string that may be absent: args are optional anyway). */
function typeOf(schema: JsonSchema): string | undefined {
  if (typeof schema.type === "string") return schema.type;
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== "null");
    return types.length === 1 && typeof types[0] === "string" ? types[0] : undefined;
  }
  const values = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : undefined;
  return values !== undefined && values.length > 0 && values.every((v) => typeof v === "string") ? "string" : undefined;
}

/**
 * The Cedar type of an argument as policy sees it (request.ts: JSON → Cedar), or undefined when no
 * one type holds: a JSON number is a Long when it is a safe integer and a decimal string otherwise.
 * Every attribute is optional: the gateway passes arguments as the agent sent them, unchecked, so
 * policy must test `has` before reading one.
 */
export function cedarType(schema: unknown, depth = 1): string | undefined {
  if (!isObject(schema) || depth > MAX_DEPTH) return undefined;
  switch (typeOf(schema)) {
    case "string":
      return "String";
    case "integer":
      return "Long";
    case "boolean":
      return "Bool";
    case "array": {
      const element = cedarType(schema.items, depth + 1);
      return element === undefined ? undefined : `Set<${element}>`;
    }
    case "object":
      return recordType(schema, depth)?.text;
    default:
      return undefined;
  }
}

function recordType(schema: JsonSchema, depth: number): { text: string; skipped: string[] } | undefined {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const members: string[] = [];
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(properties)) {
    const name = cedarName(key);
    const type = name === undefined ? undefined : cedarType(value, depth + 1);
    if (name === undefined || type === undefined) skipped.push(key);
    else members.push(`${name}?: ${type}`);
  }
  return members.length === 0 ? undefined : { text: `{ ${members.join(", ")} }`, skipped };
}

export interface ToolActions {
  /** One `action` line per tool, in the upstream's order. */
  lines: string[];
  actions: string[];
  /** Tools that cannot be named in a schema, and arguments left out (a type Cedar cannot hold), for the user to see. */
  notes: string[];
}

/** Principals are the built-in identity types (src/policy/builtin-schema.ts). */
export function checkPrincipalTypes(principals: readonly string[]): void {
  const known = new Set(Object.values(PRINCIPAL_ENTITY_TYPES));
  const unknown = principals.filter((p) => !known.has(p));
  if (unknown.length > 0 || principals.length === 0) throw new ArbiterError("USAGE", `principal types are ${[...known].join(", ")}; got ${unknown.join(", ") || "none"}`);
}

/** The action declaration of each tool, applying to `principals` and Tool resources, its arguments as `context.args`. */
export function toolActions(tools: readonly Tool[], principals: readonly string[]): ToolActions {
  checkPrincipalTypes(principals);
  const out: ToolActions = { lines: [], actions: [], notes: [] };
  for (const tool of tools) {
    const name = cedarName(tool.name);
    if (name === undefined || RESERVED_ACTIONS.has(tool.name)) {
      out.notes.push(PLAIN.test(tool.name) ? `tool ${tool.name}: ${name === undefined ? "a name Cedar cannot hold unescaped" : "an action Arbiter reserves"}, left out` : "a tool whose name is not plain ASCII, left out");
      continue;
    }
    const args = recordType(tool.inputSchema, 1);
    const skipped = args?.skipped ?? Object.keys(isObject(tool.inputSchema.properties) ? tool.inputSchema.properties : {});
    if (skipped.length > 0) out.notes.push(`tool ${tool.name}: argument(s) ${skipped.filter((s) => PLAIN.test(s)).join(", ") || "with unusual names"} not declared (no single Cedar type: a JSON number, a union, a free-form object)`);
    const context = args === undefined ? "" : `, context: { args: ${args.text} }`;
    out.lines.push(`action ${name} appliesTo { principal: [${principals.join(", ")}], resource: [${TOOL_TYPE}]${context} };`);
    out.actions.push(tool.name);
  }
  return out;
}

/** A whole schema fragment for the tools of `server`: the Tool entity and one action per tool. */
export function toolSchemaText(server: string, tools: readonly Tool[], principals: readonly string[]): { text: string; notes: string[] } {
  const actions = toolActions(tools, principals);
  const header = `// Tools of the MCP server ${PLAIN.test(server) ? server : "upstream"} (arbiter mcp schema): action = the tool, resource = Tool::"${PLAIN.test(server) ? server : "<server>"}/<tool>", arguments in context.args.`;
  return { text: [header, TOOL_ENTITY_TEXT, ...actions.lines].join("\n") + "\n", notes: actions.notes };
}

/**
 * `existing` (a schema file's text) with the actions of the tools it does not declare yet appended,
 * and the Tool entity when it has none. Refuses a file that is not a valid schema, and any result
 * that would not be one.
 */
export function mergeToolSchema(existing: string, file: string, server: string, tools: readonly Tool[], principals: readonly string[]): { text: string; added: string[]; kept: string[]; notes: string[] } {
  const before = schemaDeclarations(existing);
  if (before.problems.length > 0) throw new ArbiterError("POLICY_INVALID", `${file} is not a valid schema: ${before.problems.map(formatProblem).join("; ")}`);
  const kept = tools.map((t) => t.name).filter((name) => before.actions.has(name));
  const actions = toolActions(tools.filter((t) => !before.actions.has(t.name)), principals);
  if (actions.lines.length === 0) return { text: existing, added: [], kept, notes: actions.notes };
  const block = [
    `// Tools of the MCP server ${PLAIN.test(server) ? server : "upstream"}, added by arbiter mcp schema --merge.`,
    ...(before.entityTypes.has(TOOL_TYPE) ? [] : [TOOL_ENTITY_TEXT]),
    ...actions.lines,
  ];
  const text = `${existing}${existing === "" || existing.endsWith("\n") ? "" : "\n"}\n${block.join("\n")}\n`;
  const after = schemaDeclarations(text);
  if (after.problems.length > 0) throw new ArbiterError("POLICY_INVALID", `the merged schema would not be valid, ${file} is left as it was: ${after.problems.map(formatProblem).join("; ")}`);
  return { text, added: actions.actions, kept, notes: actions.notes };
}

/** Starts the upstream, reads every page of its tool list and stops it. */
export async function readUpstreamTools(spec: UpstreamSpec, options: { onStderr?: (line: string) => void; timeoutMs?: number } = {}): Promise<{ server: string; tools: Tool[] }> {
  const upstream = new Upstream(spec, { ...(options.onStderr ? { onStderr: options.onStderr } : {}), ...(options.timeoutMs !== undefined ? { connectTimeoutMs: options.timeoutMs } : {}) });
  try {
    await upstream.connect();
    const tools: Tool[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await upstream.listTools(cursor, { timeout: options.timeoutMs ?? 60_000 });
      tools.push(...page.tools);
      cursor = page.nextCursor;
      if (cursor !== undefined && seen.has(cursor)) break;
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined && tools.length < MAX_TOOLS);
    return { server: upstream.info.name, tools };
  } finally {
    await upstream.close();
  }
}
