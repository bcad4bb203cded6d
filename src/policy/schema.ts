// The user's Cedar schema: parsed with the built-in fragment, reduced to its own JSON form, and merged back for validation.
import { schemaToJsonWithResolvedTypes, type ActionType, type DetailedError, type NamespaceDefinition, type SchemaJson, type Type } from "./cedar.js";
import {
  builtinNamespace,
  BUILTIN_SCHEMA_TEXT,
  EMPTY_IDENTITY_ATTRIBUTES_TEXT,
  IDENTITY_ATTRIBUTES_TYPE,
  PRINCIPAL_TYPE_NAMES,
  RESERVED_CONTEXT,
} from "./builtin-schema.js";
import { lineColumn, type PolicyProblem } from "./problems.js";
import { allowedValuesOf, type AllowedValues } from "./values.js";

/** The context entry Arbiter fills with the normal forms of the string arguments (paths.ts). */
const PATHS_CONTEXT = "paths";

export type SchemaJsonForm = SchemaJson<string>;
type Namespace = NamespaceDefinition<string>;

export const SCHEMA_FILE = "schema.cedarschema";
const BUILTIN_FILE = "built-in schema";

/** A requestable action: one that applies to at least one principal and one resource type. */
export interface ActionInfo {
  name: string;
  principalTypes: readonly string[];
  resourceTypes: readonly string[];
  /** Every action group it belongs to, directly or not. */
  groups: readonly string[];
}

export interface SchemaInfo {
  /** Requestable actions by name; action groups with no appliesTo are left out. */
  actions: ReadonlyMap<string, ActionInfo>;
  /** Every declared action, groups included. */
  actionNames: ReadonlySet<string>;
  entityTypes: ReadonlySet<string>;
  /** The types an entity of `type` may be a member of, directly or not. */
  ancestorTypes(type: string): ReadonlySet<string>;
  /** Attributes whose allowed values the schema lists with `@values` (values.ts). */
  allowedValues: AllowedValues;
}

// Comments are stripped first so that a commented-out declaration does not count.
const DECLARES_IDENTITY_ATTRIBUTES = new RegExp(`(^|[;\\s}])type\\s+${IDENTITY_ATTRIBUTES_TYPE}\\s*=`);

function cedarProblem(error: DetailedError, userText: string): PolicyProblem {
  const start = error.sourceLocations?.[0]?.start;
  const message = error.help ? `${error.message} (${error.help})` : error.message;
  const builtinName = /`(\w+)` is declared twice/.exec(error.message)?.[1];
  const hint = builtinName !== undefined && (builtinName in builtinNamespace().entityTypes || builtinName in builtinNamespace().actions)
    ? `${message}: ${builtinName} is built in, remove it from ${SCHEMA_FILE}`
    : message;
  if (start === undefined) return { file: SCHEMA_FILE, message: hint };
  if (start > userText.length) return { file: BUILTIN_FILE, message: hint };
  return { file: SCHEMA_FILE, ...lineColumn(userText, start), message: hint };
}

function sortStrings(values: string[] | undefined): void {
  values?.sort();
}

/** Declaration order of lists carries no meaning, so it must not change the version. */
function normalize(ns: Namespace): void {
  for (const entity of Object.values(ns.entityTypes)) {
    if ("memberOfTypes" in entity) sortStrings(entity.memberOfTypes);
  }
  for (const action of Object.values(ns.actions)) {
    if (action.appliesTo) {
      sortStrings(action.appliesTo.principalTypes);
      sortStrings(action.appliesTo.resourceTypes);
    }
    action.memberOf?.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

/**
 * Parses the human-syntax schema together with the built-in fragment (which it may reference) and
 * returns only the user's declarations in Cedar's JSON form, types resolved.
 */
export function userSchemaFromText(text: string): { schema: SchemaJsonForm | undefined; problems: PolicyProblem[] } {
  const declared = DECLARES_IDENTITY_ATTRIBUTES.test(text.replace(/\/\/[^\n]*/g, ""));
  const full = `${text}\n${BUILTIN_SCHEMA_TEXT}${declared ? "" : `\n${EMPTY_IDENTITY_ATTRIBUTES_TEXT}`}`;
  const answer = schemaToJsonWithResolvedTypes(full);
  if (answer.type === "failure") return { schema: undefined, problems: answer.errors.map((e) => cedarProblem(e, text)) };
  const problems: PolicyProblem[] = [];
  for (const name of Object.keys(answer.json)) {
    if (name !== "") problems.push({ file: SCHEMA_FILE, message: `namespace ${name} is not supported: declare every type in the empty namespace` });
  }
  const ns = answer.json[""];
  if (!ns) return { schema: undefined, problems: [...problems, { file: SCHEMA_FILE, message: "the schema declares nothing" }] };
  for (const name of Object.keys(builtinNamespace().entityTypes)) delete ns.entityTypes[name];
  for (const name of Object.keys(builtinNamespace().actions)) delete ns.actions[name];
  if (!declared) delete ns.commonTypes?.[IDENTITY_ATTRIBUTES_TYPE];
  if (ns.commonTypes && Object.keys(ns.commonTypes).length === 0) delete ns.commonTypes;
  normalize(ns);
  return { schema: problems.length ? undefined : { "": ns }, problems };
}

export function resolveRecord(type: Type<string> | undefined, ns: Namespace, seen = new Set<string>()): { attributes: Record<string, Type<string>>; additionalAttributes?: boolean } | undefined {
  if (type === undefined) return { attributes: {} };
  if ("attributes" in type && type.type === "Record") {
    return { attributes: type.attributes, ...(type.additionalAttributes !== undefined ? { additionalAttributes: type.additionalAttributes } : {}) };
  }
  const name = "name" in type ? type.name : type.type;
  const common = ns.commonTypes?.[name];
  if (common === undefined || seen.has(name)) return undefined;
  seen.add(name);
  return resolveRecord(common, ns, seen);
}

function mergeContext(actionName: string, action: ActionType<string>, ns: Namespace, problems: PolicyProblem[]): void {
  if (!action.appliesTo) return;
  const declared = resolveRecord(action.appliesTo.context, ns);
  if (!declared) {
    problems.push({ file: SCHEMA_FILE, message: `the context of action ${actionName} must be a record type` });
    return;
  }
  for (const key of Object.keys(declared.attributes)) {
    if (key in RESERVED_CONTEXT || key === PATHS_CONTEXT) {
      problems.push({ file: SCHEMA_FILE, message: `action ${actionName} declares context.${key}, which Arbiter reserves (${[...Object.keys(RESERVED_CONTEXT), PATHS_CONTEXT].join(", ")})` });
    }
  }
  const paths = pathsType(declared.attributes.args, ns);
  action.appliesTo.context = { ...declared, type: "Record", attributes: { ...declared.attributes, ...RESERVED_CONTEXT, [PATHS_CONTEXT]: paths } };
}

/** `context.paths`: one `{normal, lower}` record for each string argument the action declares under `args` (see paths.ts). */
function pathsType(args: Type<string> | undefined, ns: Namespace): Type<string> {
  const declared = args === undefined ? undefined : resolveRecord(args, ns);
  const attributes: Record<string, Type<string>> = {};
  for (const [name, type] of Object.entries(declared?.attributes ?? {})) {
    if (type.type !== "String") continue;
    attributes[name] = { type: "Record", attributes: { normal: { type: "String" }, lower: { type: "String" } }, ...("required" in type && type.required !== undefined ? { required: type.required } : {}) };
  }
  return { type: "Record", attributes };
}

/** The user's schema with the built-in fragment and the reserved context added: what policies are validated against. */
export function mergeSchema(user: SchemaJsonForm): { merged: SchemaJsonForm; info: SchemaInfo; problems: PolicyProblem[] } {
  const problems: PolicyProblem[] = [];
  const source = user[""] ?? { entityTypes: {}, actions: {} };
  const ns = structuredClone(source);
  const builtin = structuredClone(builtinNamespace());
  ns.commonTypes = { [IDENTITY_ATTRIBUTES_TYPE]: { type: "Record", attributes: {} }, ...ns.commonTypes };
  for (const [name, entity] of Object.entries(builtin.entityTypes)) {
    if (name in ns.entityTypes) problems.push({ file: SCHEMA_FILE, message: `entity type ${name} is built in; remove it from ${SCHEMA_FILE}` });
    ns.entityTypes[name] = entity;
  }
  for (const [name, action] of Object.entries(ns.actions)) {
    for (const principal of action.appliesTo?.principalTypes ?? []) {
      if (!PRINCIPAL_TYPE_NAMES.includes(principal)) {
        problems.push({ file: SCHEMA_FILE, message: `action ${name} applies to principal type ${principal}; principals are the built-in identity types ${PRINCIPAL_TYPE_NAMES.join(", ")}` });
      }
    }
  }
  for (const [name, action] of Object.entries(builtin.actions)) {
    if (name in ns.actions) problems.push({ file: SCHEMA_FILE, message: `action ${name} is built in; remove it from ${SCHEMA_FILE}` });
    ns.actions[name] = action;
  }
  for (const [name, action] of Object.entries(ns.actions)) mergeContext(name, action, ns, problems);
  const values = allowedValuesOf(ns, SCHEMA_FILE);
  problems.push(...values.problems);
  return { merged: { "": ns }, info: schemaInfo(ns, values.allowed), problems };
}

function closure(start: string, edges: (node: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...edges(start)];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...edges(next));
  }
  return seen;
}

function schemaInfo(ns: Namespace, allowedValues: AllowedValues): SchemaInfo {
  const parentActions = (name: string): string[] =>
    (ns.actions[name]?.memberOf ?? []).filter((m) => m.type === undefined || m.type === "Action").map((m) => m.id);
  const actions = new Map<string, ActionInfo>();
  for (const [name, action] of Object.entries(ns.actions)) {
    const applies = action.appliesTo;
    if (!applies || applies.principalTypes.length === 0 || applies.resourceTypes.length === 0) continue;
    actions.set(name, {
      name,
      principalTypes: applies.principalTypes,
      resourceTypes: applies.resourceTypes,
      groups: [...closure(name, parentActions)].sort(),
    });
  }
  const memberOf = (type: string): string[] => {
    const entity = ns.entityTypes[type];
    return entity && "memberOfTypes" in entity ? (entity.memberOfTypes ?? []) : [];
  };
  const ancestors = new Map<string, ReadonlySet<string>>();
  for (const type of Object.keys(ns.entityTypes)) ancestors.set(type, closure(type, memberOf));
  return {
    actions,
    actionNames: new Set(Object.keys(ns.actions)),
    entityTypes: new Set(Object.keys(ns.entityTypes)),
    ancestorTypes: (type) => ancestors.get(type) ?? new Set(),
    allowedValues,
  };
}

/**
 * What a schema file declares itself (actions and entity types, without the built-in ones), and the
 * problems that would stop a policy set using it: for tools that add declarations to a schema file.
 */
export function schemaDeclarations(text: string): { actions: ReadonlySet<string>; entityTypes: ReadonlySet<string>; problems: PolicyProblem[] } {
  const { schema, problems } = userSchemaFromText(text);
  const ns = schema?.[""];
  if (!ns) return { actions: new Set(), entityTypes: new Set(), problems };
  return { actions: new Set(Object.keys(ns.actions)), entityTypes: new Set(Object.keys(ns.entityTypes)), problems: mergeSchema({ "": ns }).problems };
}
