// A policy's scope as sets of actions and resource types, so a request only meets the policies that can apply to it.
import type { ActionConstraint, EntityUidJson, PolicyJson, ResourceConstraint } from "./cedar.js";
import type { SchemaInfo } from "./schema.js";

/** `any` when the scope does not constrain it; otherwise the requestable actions / resource types it can match. */
export interface PolicyScope {
  actions: ReadonlySet<string> | "any";
  resourceTypes: ReadonlySet<string> | "any";
}

function uid(e: EntityUidJson): { type: string; id: string } {
  return "__entity" in e ? e.__entity : e;
}

function actionsOf(c: ActionConstraint, info: SchemaInfo): ReadonlySet<string> | "any" {
  if (c.op === "All") return "any";
  if (c.op === "==") {
    if (!("entity" in c)) return "any";
    const { id } = uid(c.entity);
    return new Set(info.actions.has(id) ? [id] : []);
  }
  const targets = new Set(("entities" in c ? c.entities : [c.entity]).map((e) => uid(e).id));
  const out = new Set<string>();
  for (const action of info.actions.values()) {
    if (targets.has(action.name) || action.groups.some((g) => targets.has(g))) out.add(action.name);
  }
  return out;
}

function resourceTypesOf(c: ResourceConstraint, info: SchemaInfo): ReadonlySet<string> | "any" {
  switch (c.op) {
    case "All":
      return "any";
    case "is":
      return new Set([c.entity_type]);
    case "==":
      return "entity" in c ? new Set([uid(c.entity).type]) : "any";
    case "in": {
      if (!("entity" in c)) return "any";
      // `resource in E` holds for E itself and for anything the schema lets be a member of E's type.
      const target = uid(c.entity).type;
      return new Set([...info.entityTypes].filter((t) => t === target || info.ancestorTypes(t).has(target)));
    }
  }
}

export function policyScope(policy: PolicyJson, info: SchemaInfo): PolicyScope {
  return { actions: actionsOf(policy.action, info), resourceTypes: resourceTypesOf(policy.resource, info) };
}

export function inScope(scope: PolicyScope, action: string, resourceType: string): boolean {
  return (scope.actions === "any" || scope.actions.has(action)) && (scope.resourceTypes === "any" || scope.resourceTypes.has(resourceType));
}
