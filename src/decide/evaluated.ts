// The inputs a decision was evaluated on, as its record keeps them: enough to evaluate it again, sensitive values committed.
import type { EntityRef, PolicySet, RequestInput } from "../policy/index.js";
import { SIZE_MARKER, markerOf, sensitiveKind, type DecisionRecord, type JsonObject, type JsonValue } from "../record/index.js";

type Evaluated = NonNullable<DecisionRecord["evaluated"]>;

/** What a decision record carries beside the decision: the `evaluated` part and the raw values its commitments stand for. */
export interface EvaluatedPart {
  evaluated: Evaluated;
  /** Commitment field name → raw value (goes to the record's `sensitive`, so into `commitments` and the erasable side table). */
  sensitive: Record<string, JsonValue>;
}

export const EVALUATED_PREFIX = "evaluated";
/** A value the schema marks `@sensitive` is shown as this in the record. */
export const SCHEMA_MARKER = "[MASKED:schema]";
const FIELD_NAME = /^[A-Za-z0-9_.$[\]-]{1,128}$/;
/**
 * Past this many characters of JSON the inputs would crowd the 64 KiB leaf: the free-form objects
 * are then committed whole (still replayable while their raw values are kept).
 */
const LEAF_BUDGET = 16_384;

/** The free-form objects committed whole when the inputs are too large for the leaf. */
const WHOLE: ReadonlySet<string> = new Set(["principal.attributes", "resource.attributes", "context"]);

type Path = readonly (string | number)[];

/** The commitment field of a value: its path when that is a valid field name, else its position. */
function fieldName(path: Path, position: number): string {
  const name = EVALUATED_PREFIX + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
  return FIELD_NAME.test(name) ? name : `${EVALUATED_PREFIX}.$${position}`;
}

/**
 * `{ value }` replaces the node (and its children are not visited); undefined visits the children.
 * `field` names the node's commitment field; it is a function because a decision commits few of
 * the nodes it visits, and naming each one (a string built and checked) was most of the walk.
 */
type Visitor = (value: unknown, field: () => string, path: Path) => { value: unknown } | undefined;

function walk(value: unknown, path: Path, counter: { n: number }, visit: Visitor): unknown {
  const position = ++counter.n;
  const hit = visit(value, () => fieldName(path, position), path);
  if (hit) return hit.value;
  if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i], counter, visit));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // Sorted, as RFC 8785 stores them, so that reading a leaf visits the same positions.
    for (const key of Object.keys(value).sort()) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) out[key] = walk(member, [...path, key], counter, visit);
    }
    return out;
  }
  return value;
}

const SECTIONS = [["principal", "attributes"], ["resource", "attributes"], ["resource", "parents"], ["context"], ["intent"]] as const;

/** Walks the free-form sections of an `evaluated` part in a fixed order, replacing what the visitor returns. */
function walkSections(evaluated: Record<string, unknown>, visit: Visitor): Record<string, unknown> {
  const counter = { n: 0 };
  const out: Record<string, unknown> = { ...evaluated };
  for (const section of SECTIONS) {
    const [head, tail] = section;
    if (tail === undefined) {
      if (out[head] !== undefined) out[head] = walk(out[head], [head], counter, visit);
      continue;
    }
    const parent = out[head] as Record<string, unknown> | undefined;
    if (parent?.[tail] !== undefined) out[head] = { ...parent, [tail]: walk(parent[tail], [head, tail], counter, visit) };
  }
  return out;
}

/** The section a member belongs to, for the sections whose members the schema may mark (principal.attributes, resource.attributes, context). */
function sectionOf(path: Path): string | undefined {
  if (path.length === 2) return String(path[0]);
  return path.length === 3 ? `${String(path[0])}.${String(path[1])}` : undefined;
}

const nonEmpty = (o: Readonly<Record<string, unknown>> | undefined) => (o && Object.keys(o).length > 0 ? o : undefined);

/** The `evaluated` part of a decision: the request policy saw, detected and schema-marked values committed. */
export function evaluatedPart(set: PolicySet, input: RequestInput, traceId: string | undefined, verdict?: Evaluated["verdict"]): EvaluatedPart {
  const resource = { attributes: nonEmpty(input.resource.attributes), parents: input.resource.parents?.length ? input.resource.parents.map((p: EntityRef) => ({ type: p.type, id: p.id })) : undefined };
  const plain: Record<string, unknown> = {
    principal: { status: input.principal.status, ...(nonEmpty(input.principal.attributes) ? { attributes: input.principal.attributes } : {}) },
    ...(resource.attributes || resource.parents ? { resource: { ...(resource.attributes ? { attributes: resource.attributes } : {}), ...(resource.parents ? { parents: resource.parents } : {}) } } : {}),
    ...(nonEmpty(input.context) ? { context: input.context } : {}),
    ...(input.intent ? { intent: input.intent } : {}),
    auth: { method: input.auth.method, age_seconds: Math.max(0, Math.floor(input.auth.age_seconds)), acr: input.auth.acr },
    ...(traceId ? { trace_id: traceId } : {}),
    ...(verdict ? { verdict } : {}),
  };
  const marked: Record<string, ReadonlySet<string>> = {
    "principal.attributes": set.sensitive.identity,
    "resource.attributes": set.sensitive.entity(input.resource.type),
    context: set.sensitive.context(input.action),
  };
  const commit = (whole: boolean): EvaluatedPart => {
    const sensitive: Record<string, JsonValue> = {};
    const committed = (value: unknown, field: () => string, marker: string) => {
      sensitive[field()] = value as JsonValue;
      return { value: marker };
    };
    const evaluated = walkSections(plain, (value, field, path) => {
      if (whole && WHOLE.has(path.join("."))) return committed(value, field, SIZE_MARKER);
      const name = path[path.length - 1];
      if (typeof name === "string" && marked[sectionOf(path) ?? ""]?.has(name)) return committed(value, field, SCHEMA_MARKER);
      if (typeof value !== "string") return undefined;
      const kind = sensitiveKind(value);
      return kind ? committed(value, field, markerOf(kind)) : undefined;
    });
    return { evaluated: evaluated as Evaluated, sensitive };
  };
  const part = commit(false);
  return JSON.stringify(part.evaluated).length > LEAF_BUDGET ? commit(true) : part;
}

export type RestoredInputs = { ok: true; input: RequestInput } | { ok: false; missing: string[] };

/**
 * The request a recorded decision was evaluated on, for evaluating it again. `raw` gives the kept
 * raw value of a commitment field (undefined once erased); a committed value that cannot be
 * recovered makes the decision not replayable, never a guess.
 */
export function restoreInputs(record: DecisionRecord, raw: (field: string) => JsonValue | undefined): RestoredInputs {
  const evaluated = record.evaluated;
  if (!evaluated || record.subject.type === "unknown") return { ok: false, missing: [] };
  const commitments = record.commitments ?? {};
  const missing: string[] = [];
  const restore = (field: string): { value: unknown } | undefined => {
    if (!Object.hasOwn(commitments, field)) return undefined;
    const value = raw(field);
    if (value === undefined) missing.push(field);
    return { value };
  };
  const plain = walkSections(evaluated, (_, field) => restore(field())) as Evaluated;
  let args: unknown;
  if (Object.hasOwn(commitments, "args")) args = restore("args")?.value;
  // A part committed whole is its raw value once restored; a size marker with no commitment under it cannot be.
  const whole = (value: JsonObject | typeof SIZE_MARKER | undefined, field: string): JsonObject | undefined => {
    if (value !== SIZE_MARKER) return value;
    missing.push(field);
    return undefined;
  };
  const principalAttributes = whole(plain.principal.attributes, "evaluated.principal.attributes");
  const resourceAttributes = whole(plain.resource?.attributes, "evaluated.resource.attributes");
  const context = whole(plain.context, "evaluated.context");
  if (missing.length > 0) return { ok: false, missing };
  const subject = record.subject;
  return {
    ok: true,
    input: {
      principal: { id: subject.id, type: subject.type, owner: subject.owner ?? "", status: evaluated.principal.status, groups: subject.groups ?? [], ...(principalAttributes ? { attributes: principalAttributes } : {}) },
      action: record.action,
      resource: { type: record.resource.type ?? "", id: record.resource.id, ...(resourceAttributes ? { attributes: resourceAttributes } : {}), ...(plain.resource?.parents ? { parents: plain.resource.parents } : {}) },
      ...(context ? { context } : {}),
      now: new Date(record.time),
      intent: plain.intent ?? "",
      auth: evaluated.auth,
      delegation: record.delegation ?? [],
      ...(args !== undefined ? { args } : {}),
      args_digest: record.args_digest ?? "",
    },
  };
}
