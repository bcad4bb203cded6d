// Whether a request could be allowed for some value of what is not known yet (arguments, time, intent): Cedar partial evaluation.
import type { DecisionReasonCode } from "../record/index.js";
import { isAuthorizedPartial, type Context, type PolicySet as CedarPolicySet } from "./cedar.js";
import { compiledOf, type PolicySet } from "./compile.js";
import type { CedarEntity, CedarRequest } from "./request.js";
import { inScope } from "./scope.js";

export interface MayAllowOptions {
  /** Context entries that count as unknown: any value they could take at call time is considered. */
  unknownContext: readonly string[];
  /** The resource's id and attributes are unknown too (a URI template, say): only its type is fixed. */
  unknownResource?: boolean;
  /** Forbids with these reasons are set aside: they challenge (approval, step-up) rather than refuse. */
  excludeReasons?: readonly DecisionReasonCode[];
}

// Cedar's JSON marks a value it must treat as unknown with this extension call.
const unknown = (name: string) => ({ __extn: { fn: "unknown", arg: name } });

const slices = new WeakMap<PolicySet, Map<string, CedarPolicySet>>();

function sliceOf(set: PolicySet, action: string, resourceType: string, exclude: readonly DecisionReasonCode[]): CedarPolicySet {
  let bySet = slices.get(set);
  if (!bySet) slices.set(set, (bySet = new Map<string, CedarPolicySet>()));
  const key = `${action}|${resourceType}|${[...exclude].sort().join(",")}`;
  let slice = bySet.get(key);
  if (!slice) {
    const policies = compiledOf(set).policies.filter((p) => !exclude.includes(p.rule.reason) && inScope(p.scope, action, resourceType));
    slice = { staticPolicies: Object.fromEntries(policies.map((p) => [p.rule.id, p.rule.text])) };
    bySet.set(key, slice);
  }
  return slice;
}

/**
 * A sound over-approximation of "allowed for some call": false only when no value of the unknown
 * context entries (and of the resource, if unknown) can make Cedar allow the request, with the
 * excluded forbids set aside. An undeclared action, or a principal or resource type the action does
 * not apply to, is never allowed. Requires a request built by buildCedarRequest for this set.
 */
export function mayAllow(set: PolicySet, request: CedarRequest, options: MayAllowOptions): boolean {
  const action = compiledOf(set).info.actions.get(request.action);
  if (!action) return false;
  if (!action.resourceTypes.includes(request.resource.type) || !action.principalTypes.includes(request.principal.type)) return false;
  const policies = sliceOf(set, action.name, request.resource.type, options.excludeReasons ?? []);
  if (Object.keys(policies.staticPolicies ?? {}).length === 0) return false;
  const context: Record<string, unknown> = { ...request.context };
  for (const name of options.unknownContext) context[name] = unknown(name);
  const isResource = (e: CedarEntity) => e.uid.type === request.resource.type && e.uid.id === request.resource.id;
  const entities = options.unknownResource ? request.entities.filter((e) => !isResource(e)) : [...request.entities];
  if (action.groups.length > 0) entities.push({ uid: { type: "Action", id: action.name }, attrs: {}, parents: action.groups.map((id) => ({ type: "Action", id })) });
  const answer = isAuthorizedPartial({
    principal: request.principal,
    action: { type: "Action", id: action.name },
    resource: options.unknownResource ? null : request.resource,
    context: context as Context,
    policies,
    entities,
  });
  if (answer.type === "failure") throw new Error(`Cedar could not evaluate ${action.name} partially: ${answer.errors.map((e) => e.message).join("; ")}`);
  return answer.response.decision !== "deny";
}
