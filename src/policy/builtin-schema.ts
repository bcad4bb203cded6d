// The schema fragment Arbiter ships: identity entity types, groups, break-glass, and the context every request carries.
import { schemaToJsonWithResolvedTypes, type NamespaceDefinition, type Type } from "./cedar.js";
import type { IdentityType } from "../record/index.js";

type KnownIdentityType = Exclude<IdentityType, "unknown">;

/** The Cedar entity type of each kind of identity; a request's principal is always one of these. */
export const PRINCIPAL_ENTITY_TYPES: Readonly<Record<KnownIdentityType, string>> = {
  agent: "Agent",
  service_account: "ServiceAccount",
  api_key: "ApiKey",
  workload: "Workload",
  pipeline: "Pipeline",
  human: "Human",
};

export const PRINCIPAL_TYPE_NAMES: readonly string[] = Object.values(PRINCIPAL_ENTITY_TYPES);

/** Entity type name → identity type, for notes written in Arbiter's words. */
export const IDENTITY_TYPE_OF: ReadonlyMap<string, KnownIdentityType> = new Map(
  Object.entries(PRINCIPAL_ENTITY_TYPES).map(([k, v]) => [v, k as KnownIdentityType]),
);

export const GROUP_TYPE = "Group";
export const SYSTEM_TYPE = "System";
export const BREAK_GLASS_ACTION = "break_glass";
/** The common type a user schema may declare for identities' free-form attributes; `{}` when it does not. */
export const IDENTITY_ATTRIBUTES_TYPE = "IdentityAttributes";

const identityShape = `{ owner: String, status: String, identity_type: String, attributes: ${IDENTITY_ATTRIBUTES_TYPE} }`;

/** Appended after the user's schema text, so offsets inside the user's file stay as they are. */
export const BUILTIN_SCHEMA_TEXT = [
  `entity ${GROUP_TYPE} in [${GROUP_TYPE}];`,
  ...PRINCIPAL_TYPE_NAMES.map((name) => `entity ${name} in [${GROUP_TYPE}] ${identityShape};`),
  `entity ${SYSTEM_TYPE};`,
  `action ${BREAK_GLASS_ACTION} appliesTo { principal: [${PRINCIPAL_TYPE_NAMES.join(", ")}], resource: [${SYSTEM_TYPE}] };`,
].join("\n");

export const EMPTY_IDENTITY_ATTRIBUTES_TEXT = `type ${IDENTITY_ATTRIBUTES_TYPE} = {};`;

const long: Type<string> = { type: "Long" };
const string: Type<string> = { type: "String" };
const record = (attributes: Record<string, Type<string>>): Type<string> => ({ type: "Record", attributes });

/**
 * Context the decision engine fills in for every request, merged into every action's context type.
 * `now` is UTC; weekday is ISO 8601 (1 = Monday … 7 = Sunday).
 */
export const RESERVED_CONTEXT: Readonly<Record<string, Type<string>>> = {
  now: record({ epoch: long, hour: long, minute: long, weekday: long, date: string }),
  intent: string,
  auth: record({ method: string, age_seconds: long, acr: string }),
  delegation: record({ depth: long, actors: { type: "Set", element: string }, on_behalf_of: string }),
  args_digest: string,
};

function parseBuiltinNamespace(): NamespaceDefinition<string> {
  const answer = schemaToJsonWithResolvedTypes(`${BUILTIN_SCHEMA_TEXT}\n${EMPTY_IDENTITY_ATTRIBUTES_TEXT}`);
  const ns = answer.type === "success" ? answer.json[""] : undefined;
  if (!ns) throw new Error("the built-in policy schema does not parse");
  return ns;
}

let builtin: Readonly<NamespaceDefinition<string>> | undefined;

/**
 * The built-in entity types and actions in Cedar's JSON schema form (common types left to the user).
 * Parsed on first use, not when the module loads: the first call into Cedar's WebAssembly costs
 * ≈ 200 ms, which every CLI command paid, the ones that read no policy included.
 */
export function builtinNamespace(): Readonly<NamespaceDefinition<string>> {
  return (builtin ??= parseBuiltinNamespace());
}
