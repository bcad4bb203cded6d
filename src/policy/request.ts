// Building the Cedar request from Arbiter's view of a call; decide/ and policy tests both use it, so both see the same thing.
import { ArbiterError, type IdentityType } from "../record/index.js";
import { GROUP_TYPE, PRINCIPAL_ENTITY_TYPES } from "./builtin-schema.js";
import { argPaths } from "./paths.js";

/** A Cedar value as this engine sends it: no entity or extension escapes ever come from request data. */
export type CedarValue = boolean | number | string | CedarValue[] | { [key: string]: CedarValue };
export type CedarValueJson = CedarValue;

export interface EntityRef {
  type: string;
  id: string;
}

export interface CedarEntity {
  uid: EntityRef;
  attrs: { [key: string]: CedarValue };
  parents: EntityRef[];
}

export interface CedarRequest {
  principal: EntityRef;
  action: string;
  resource: EntityRef;
  context: { [key: string]: CedarValue };
  entities: CedarEntity[];
}

export interface DelegationLinkInput {
  id: string;
  type: string;
  on_behalf_of?: string;
}

export interface RequestInput {
  principal: {
    id: string;
    type: IdentityType;
    /** "" for an identity without an owner. */
    owner: string;
    status: string;
    groups: readonly string[];
    attributes?: Readonly<Record<string, unknown>>;
  };
  action: string;
  resource: { type: string; id: string; attributes?: Readonly<Record<string, unknown>>; parents?: readonly EntityRef[] };
  /** Extra context the schema declares for the action; reserved names are refused. */
  context?: Readonly<Record<string, unknown>>;
  now: Date;
  intent?: string;
  auth: { method: string; age_seconds: number; acr: string };
  /** Whom the principal acts for, nearest first, origin last (the principal itself is not a link). */
  delegation?: readonly DelegationLinkInput[];
  /** The call's arguments: an object becomes `context.args` (as sent) and `context.paths` (normalised); other values are visible only through args_digest. */
  args?: unknown;
  args_digest: string;
}

/** Bounds on free-form request data: hostile input must not cost the engine more than this. */
export const REQUEST_LIMITS = { depth: 8, members: 256 } as const;

/** Names the engine fills in; a request's own context may not use them. */
export const RESERVED_CONTEXT_NAMES: ReadonlySet<string> = new Set(["now", "intent", "auth", "delegation", "args_digest", "args", "paths"]);

function invalid(where: string, problem: string): ArbiterError {
  return new ArbiterError("REQUEST_INVALID", `${where}: ${problem}`, { field: where });
}

interface Budget {
  members: number;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * JSON → Cedar: safe integers stay Long; other numbers become their decimal string (Cedar has no
 * floating point); null and undefined members are left out; arrays become sets; objects records.
 * Returns undefined for null/undefined.
 */
function toCedar(value: unknown, where: string, depth: number, budget: Budget): CedarValue | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw invalid(where, `${String(value)} is not a JSON number`);
      return Number.isSafeInteger(value) ? value : String(value);
    case "object":
      break;
    default:
      throw invalid(where, `a ${typeof value} is not JSON`);
  }
  if (depth >= REQUEST_LIMITS.depth) throw invalid(where, `nested deeper than ${REQUEST_LIMITS.depth} levels`);
  if (Array.isArray(value)) {
    budget.members -= value.length;
    if (budget.members < 0) throw invalid(where, `more than ${REQUEST_LIMITS.members} members and elements`);
    const out: CedarValue[] = [];
    value.forEach((item, i) => {
      const converted = toCedar(item, `${where}[${i}]`, depth + 1, budget);
      if (converted !== undefined) out.push(converted);
    });
    return out;
  }
  if (!isPlainObject(value)) throw invalid(where, "expected plain JSON data");
  return toRecord(value, where, depth, budget);
}

function toRecord(value: Readonly<Record<string, unknown>>, where: string, depth: number, budget: Budget): { [key: string]: CedarValue } {
  const out: { [key: string]: CedarValue } = {};
  for (const key of Object.keys(value)) {
    // Cedar's JSON reads {"__entity": ...} and {"__extn": ...} as entity and extension values: data must not forge one.
    if (key.startsWith("__")) throw invalid(`${where}.${key}`, "member names starting with __ are reserved by Cedar's JSON format");
    if (--budget.members < 0) throw invalid(where, `more than ${REQUEST_LIMITS.members} members and elements`);
    const converted = toCedar(value[key], `${where}.${key}`, depth + 1, budget);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}

/** Converts one free-form object (attributes, context, args) under the request limits. */
export function cedarRecord(value: Readonly<Record<string, unknown>> | undefined, where: string): { [key: string]: CedarValue } {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalid(where, "expected a JSON object");
  return toRecord(value, where, 1, { members: REQUEST_LIMITS.members });
}

function wholeSeconds(value: number, where: string): number {
  if (!Number.isFinite(value) || value < 0) throw invalid(where, "expected a number of seconds, 0 or more");
  return Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER);
}

/** `context.now`: UTC clock fields, weekday ISO 8601 (1 = Monday … 7 = Sunday). */
export function nowContext(now: Date): { [key: string]: CedarValue } {
  const ms = now.getTime();
  if (!Number.isFinite(ms)) throw invalid("now", "not a valid time");
  return {
    epoch: Math.floor(ms / 1000),
    hour: now.getUTCHours(),
    minute: now.getUTCMinutes(),
    weekday: ((now.getUTCDay() + 6) % 7) + 1,
    date: now.toISOString().slice(0, 10),
  };
}

export function buildCedarRequest(input: RequestInput): CedarRequest {
  if (input.principal.type === "unknown") throw invalid("principal.type", "an unidentified caller cannot be evaluated by policy");
  const principalType = PRINCIPAL_ENTITY_TYPES[input.principal.type];
  const principal: EntityRef = { type: principalType, id: input.principal.id };
  const resource: EntityRef = { type: input.resource.type, id: input.resource.id };
  const userContext = cedarRecord(input.context, "context");
  for (const key of Object.keys(userContext)) {
    if (RESERVED_CONTEXT_NAMES.has(key)) throw invalid(`context.${key}`, "this name is reserved for the context Arbiter fills in");
  }
  const links = input.delegation ?? [];
  const context: { [key: string]: CedarValue } = {
    ...userContext,
    now: nowContext(input.now),
    intent: input.intent ?? "",
    auth: { method: input.auth.method, age_seconds: wholeSeconds(input.auth.age_seconds, "auth.age_seconds"), acr: input.auth.acr },
    delegation: { depth: links.length, actors: links.map((l) => l.id), on_behalf_of: links[links.length - 1]?.id ?? "" },
    args_digest: input.args_digest,
  };
  if (isPlainObject(input.args)) {
    context.args = cedarRecord(input.args, "args");
    context.paths = argPaths(input.args);
  }
  const entities: CedarEntity[] = [
    {
      uid: principal,
      attrs: {
        owner: input.principal.owner,
        status: input.principal.status,
        identity_type: input.principal.type,
        attributes: cedarRecord(input.principal.attributes, "principal.attributes"),
      },
      parents: input.principal.groups.map((id) => ({ type: GROUP_TYPE, id })),
    },
  ];
  // An identity acting on itself (rotating its own key, say) is one entity: Cedar refuses duplicates.
  if (resource.type !== principal.type || resource.id !== principal.id) {
    entities.push({
      uid: resource,
      attrs: cedarRecord(input.resource.attributes, "resource.attributes"),
      parents: (input.resource.parents ?? []).map((p) => ({ type: p.type, id: p.id })),
    });
  }
  return { principal, action: input.action, resource, context, entities };
}
