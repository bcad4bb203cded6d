// Which attributes a policy reads, so a request can carry only those into Cedar (crossing into wasm costs ~2 µs per value).
import type { PolicyJson } from "./cedar.js";
import type { CedarValue } from "./request.js";

/** `true`: the value is used whole; a map: only these members are read (an empty map: only their presence). */
export type Usage = true | ReadonlyMap<string, Usage>;

export interface PolicyUsage {
  context: Usage | undefined;
  /** Attributes read on the principal or the resource, merged: entity attribute values are never entities here. */
  entity: Usage | undefined;
  /** An attribute is read off something that is not a path from principal, resource or context: keep every entity attribute. */
  opaque: boolean;
  /** The action entity (with its groups) is needed: `action in ...` or `action` in a condition. */
  action: boolean;
  /**
   * The parents an `in` can test (keys from parentKey), `any` when an `in` names no literal entity,
   * undefined when no `in` reads parents. Parents are given flat (every ancestor is a direct parent
   * and no ancestor entity is sent), so a parent no policy names cannot change an answer.
   */
  parents: ReadonlySet<string> | "any" | undefined;
}

export const NO_USAGE: PolicyUsage = { context: undefined, entity: undefined, opaque: false, action: false, parents: undefined };
export const FULL_USAGE: PolicyUsage = { context: true, entity: true, opaque: true, action: true, parents: "any" };

export function parentKey(uid: { type: string; id: string }): string {
  return `${uid.type}\u0000${uid.id}`;
}

function mergeParents(a: PolicyUsage["parents"], b: PolicyUsage["parents"]): PolicyUsage["parents"] {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === "any" || b === "any") return "any";
  return new Set([...a, ...b]);
}

function mark(tree: Usage | undefined, path: readonly string[], whole: boolean): Usage {
  if (tree === true) return true;
  if (path.length === 0) return whole ? true : (tree ?? new Map());
  const [head, ...rest] = path as [string, ...string[]];
  const next = new Map(tree ?? []);
  next.set(head, mark(tree?.get(head), rest, whole));
  return next;
}

export function mergeUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a === true || b === true) return true;
  const out = new Map(a);
  for (const [key, u] of b) out.set(key, mergeUsage(a.get(key), u) as Usage);
  return out;
}

export function mergePolicyUsage(a: PolicyUsage, b: PolicyUsage): PolicyUsage {
  return {
    context: mergeUsage(a.context, b.context),
    entity: mergeUsage(a.entity, b.entity),
    opaque: a.opaque || b.opaque,
    action: a.action || b.action,
    parents: mergeParents(a.parents, b.parents),
  };
}

type Chain = { root: string; path: string[] };

// Cedar's Expr type includes extension calls as Record<string, Expr[]>, which defeats narrowing by key:
// the walk reads nodes as plain objects instead.
type Node = { readonly [key: string]: unknown };

function node(e: unknown): Node | undefined {
  return typeof e === "object" && e !== null && !Array.isArray(e) ? (e as Node) : undefined;
}

function uidOf(e: { __entity: { type: string; id: string } } | { type: string; id: string }): { type: string; id: string } {
  return "__entity" in e ? e.__entity : e;
}

function entityLiteral(e: Node | undefined): { type: string; id: string } | undefined {
  const value = node(e?.Value);
  const entity = node(value?.__entity);
  return entity && typeof entity.type === "string" && typeof entity.id === "string" ? { type: entity.type, id: entity.id } : undefined;
}

function chainOf(e: Node): Chain | undefined {
  if (typeof e.Var === "string") return { root: e.Var, path: [] };
  const dot = node(e["."]);
  const left = node(dot?.left);
  if (dot && left && typeof dot.attr === "string") {
    const inner = chainOf(left);
    return inner && { root: inner.root, path: [...inner.path, dot.attr] };
  }
  return undefined;
}

const CHILD_KEYS = ["left", "right", "arg", "if", "then", "else", "in"] as const;

/** Walks a policy's conditions (scope constraints read no attributes) and records every attribute path it reads. */
export function policyUsage(policy: PolicyJson): PolicyUsage {
  const usage: { -readonly [K in keyof PolicyUsage]: PolicyUsage[K] } = {
    context: undefined,
    entity: undefined,
    opaque: false,
    action: policy.action.op === "in",
    parents: undefined,
  };
  const named = new Set<string>();
  let anyParent = false;
  for (const c of [policy.principal, policy.resource]) {
    const target = c.op === "in" ? c : c.op === "is" ? c.in : undefined;
    if (target === undefined) continue;
    if ("entity" in target) named.add(parentKey(uidOf(target.entity)));
    else anyParent = true;
  }
  /** The right side of an `in`: literal entities are named, anything computed could be any parent. */
  const inTarget = (e: Node | undefined) => {
    const literals = Array.isArray(e?.Set) ? e.Set.map((x) => entityLiteral(node(x))) : [entityLiteral(e)];
    const found = literals.filter((l): l is { type: string; id: string } => l !== undefined);
    if (found.length === literals.length) found.forEach((l) => named.add(parentKey(l)));
    else anyParent = true;
  };
  const use = (chain: Chain, whole: boolean) => {
    if (chain.root === "context") usage.context = mark(usage.context, chain.path, whole);
    else if (chain.root === "action") usage.action = true;
    else if (chain.path.length > 0) usage.entity = mark(usage.entity, chain.path, whole);
  };
  const visit = (e: Node): void => {
    const has = node(e.has);
    if ("Var" in e || "." in e || has) {
      const target = has ? node(has.left) : e;
      const chain = target && chainOf(target);
      if (chain) {
        if (!has) return use(chain, true);
        const attrs: unknown[] = Array.isArray(has.attr) ? has.attr : [has.attr];
        return use({ root: chain.root, path: [...chain.path, ...attrs.map(String)] }, false);
      }
      // An attribute read off a computed value (an entity literal, an if-then-else): no path to prune by.
      usage.opaque = true;
      const inner = node(has ? has.left : node(e["."])?.left);
      if (inner) visit(inner);
      return;
    }
    for (const [key, value] of Object.entries(e)) {
      if (key === "Value" || key === "Slot") continue;
      // `in` (also inside `is ... in`) reads parents; tags are never sent, so keep entities as they are.
      if (key === "in") inTarget(node(node(value)?.right));
      if (key === "is" && node(value)?.in !== undefined) inTarget(node(node(value)?.in));
      if (key === "getTag" || key === "hasTag") usage.opaque = true;
      if (Array.isArray(value)) {
        for (const item of value) {
          const child = node(item);
          if (child) visit(child);
        }
      } else if (key === "Record") {
        for (const item of Object.values(node(value) ?? {})) {
          const child = node(item);
          if (child) visit(child);
        }
      } else {
        const operands = node(value);
        for (const k of CHILD_KEYS) {
          const child = node(operands?.[k]);
          if (child) visit(child);
        }
      }
    }
  };
  for (const clause of policy.conditions) {
    const body = node(clause.body);
    if (body) visit(body);
  }
  usage.parents = anyParent ? "any" : named.size > 0 ? named : undefined;
  return usage;
}

function isRecord(value: CedarValue): value is { [key: string]: CedarValue } {
  return typeof value === "object" && !Array.isArray(value);
}

/** The parts of `value` that `usage` reads; a record keeps only the members read, anything else is kept whole. */
export function pruneValue(value: CedarValue, usage: Usage): CedarValue {
  if (usage === true || !isRecord(value)) return value;
  return pruneRecord(value, usage);
}

export function pruneRecord(record: { readonly [key: string]: CedarValue }, usage: Usage | undefined): { [key: string]: CedarValue } {
  if (usage === true) return record;
  const out: { [key: string]: CedarValue } = {};
  if (usage === undefined) return out;
  for (const [key, u] of usage) {
    const member = record[key];
    if (member !== undefined && Object.hasOwn(record, key)) out[key] = pruneValue(member, u);
  }
  return out;
}
