// Evaluating requests against a policy set, sliced: each request meets only the policies its action and resource type can match.
import { preparsePolicySet, statefulIsAuthorized } from "./cedar.js";
import { ArbiterError, type DecisionReasonCode } from "../record/index.js";
import { compiledOf, type CompiledSet, type PolicySet } from "./compile.js";
import type { CedarEntity, CedarRequest, EntityRef } from "./request.js";
import type { ActionInfo } from "./schema.js";
import { inScope } from "./scope.js";
import { canonicalEntities } from "./values.js";
import { FULL_USAGE, mergePolicyUsage, NO_USAGE, parentKey, pruneRecord, type PolicyUsage } from "./usage.js";

export interface Evaluation {
  decision: "allow" | "deny";
  /** Ids of the policies that determined the decision, sorted; empty for a default deny. */
  determining: string[];
  /** Policies Cedar skipped because evaluating them failed, by policy id. */
  errors: { policyId: string; message: string }[];
  /** How many policies the request was evaluated against (the size of its slice). */
  evaluated: number;
  principal: EntityRef;
  action: string;
  resource: EntityRef;
}

export interface EngineOptions {
  /**
   * Off: every request meets the whole set, with its whole context and entities. Only for
   * measurements and cross-checks; decisions are the same either way.
   */
  slicing?: boolean;
  /** Off: Cedar evaluates every request, even one it answered a moment ago (measurements). See AnswerCache. */
  answerCache?: boolean;
}

export interface EvaluateOptions {
  /** Leave out the policies with these reasons (decide/ sets approval gates aside for a call that holds a grant). */
  excludeReasons?: readonly DecisionReasonCode[];
}

type CedarAnswer = Extract<ReturnType<typeof statefulIsAuthorized>, { type: "success" }>;
/** One call into Cedar: the request pruned to what its slice reads, and the slice's preparsed set. */
export type CedarCall = Parameters<typeof statefulIsAuthorized>[0];

/**
 * Cedar's recent answers by their exact input: the slice's preparsed policies, principal, action,
 * resource, and the context and entities after pruning to what the slice reads. Cedar is a pure
 * function of that input (time reaches it only through context.now), and a slice id is never
 * reused for other policies within one engine, so a hit is the answer Cedar would give. Because
 * the input is pruned first, an agent calling the same tool under policies that do not read the
 * arguments or the clock hits the cache on every call, while a policy that reads them keys each
 * call apart. In the MCP gateway a hit took Cedar's share of a decision from ≈ 107 to ≈ 15 µs.
 */
class AnswerCache {
  /** Bounds memory: at most MAX_ENTRIES keys of at most MAX_KEY_CHARS each (≈ 32 MiB). */
  private static readonly MAX_ENTRIES = 2048;
  private static readonly MAX_KEY_CHARS = 8192;
  private readonly answers = new Map<string, CedarAnswer>();

  get size(): number {
    return this.answers.size;
  }

  /** The key of a call, or undefined for one too large to keep. */
  key(call: CedarCall): string | undefined {
    const key = JSON.stringify(call);
    return key.length <= AnswerCache.MAX_KEY_CHARS ? key : undefined;
  }

  get(key: string): CedarAnswer | undefined {
    return this.answers.get(key);
  }

  set(key: string, answer: CedarAnswer): void {
    if (this.answers.size >= AnswerCache.MAX_ENTRIES) this.answers.delete(this.answers.keys().next().value as string);
    this.answers.set(key, answer);
  }
}

export interface Slice {
  id: string;
  size: number;
  usage: PolicyUsage;
}

// Preparsed sets live in the wasm module's memory for the whole process: ids must never collide.
let engines = 0;

export class PolicyEngine {
  readonly set: PolicySet;
  private readonly compiled: CompiledSet;
  private readonly prefix: string;
  private readonly slicing: boolean;
  private readonly slices = new Map<string, Slice>();
  private readonly actionEntities = new Map<string, CedarEntity>();
  private readonly answers: AnswerCache | undefined;
  private disposed = false;

  constructor(set: PolicySet, options: EngineOptions = {}) {
    this.set = set;
    this.compiled = compiledOf(set);
    this.slicing = options.slicing ?? true;
    this.answers = options.answerCache === false ? undefined : new AnswerCache();
    this.prefix = `arbiter/${++engines}/${set.version}`;
  }

  /**
   * Evaluates one request. Throws UNKNOWN_ACTION or UNKNOWN_RESOURCE_TYPE (with the allowed names)
   * before touching Cedar, and REQUEST_INVALID for a resource parent the schema does not allow.
   * A principal type the action does not apply to is denied with no determining policy.
   */
  evaluate(request: CedarRequest, options: EvaluateOptions = {}): Evaluation {
    const prepared = this.cedarInput(request, options);
    const base = { principal: request.principal, action: request.action, resource: request.resource };
    if (prepared === undefined) return { decision: "deny", determining: [], errors: [], evaluated: 0, ...base };
    const { call, slice } = prepared;
    const key = this.answers?.key(call);
    let answer = key === undefined ? undefined : this.answers?.get(key);
    if (!answer) {
      const fresh = statefulIsAuthorized(call);
      if (fresh.type === "failure") {
        throw new ArbiterError("REQUEST_INVALID", `Cedar refused the request: ${fresh.errors.map((e) => e.message).join("; ")}`);
      }
      if (key !== undefined) this.answers?.set(key, fresh);
      answer = fresh;
    }
    const { decision, diagnostics } = answer.response;
    return {
      decision,
      determining: [...diagnostics.reason].sort(),
      // Cedar reports errors in no fixed order; the first one names a note's failing policy.
      errors: diagnostics.errors.map((e) => ({ policyId: e.policyId, message: e.error.message })).sort((a, b) => (a.policyId < b.policyId ? -1 : a.policyId > b.policyId ? 1 : 0)),
      evaluated: slice.size,
      ...base,
    };
  }

  /**
   * Exactly what evaluate() hands Cedar for a request, with the slice it meets, or undefined when no
   * policy can apply (a default deny without a call). Throws as evaluate() does. bench:cedar times
   * Cedar on these inputs.
   */
  cedarInput(request: CedarRequest, options: EvaluateOptions = {}): { call: CedarCall; slice: Slice } | undefined {
    if (this.disposed) throw new Error("PolicyEngine.evaluate after dispose()");
    const action = this.compiled.info.actions.get(request.action);
    if (!action) {
      const allowed = this.set.actions();
      throw new ArbiterError("UNKNOWN_ACTION", `action ${JSON.stringify(request.action)} is not declared in policy set ${this.set.version}; declared: ${allowed.join(", ")}`, { action: request.action, allowed });
    }
    if (!action.resourceTypes.includes(request.resource.type)) {
      throw new ArbiterError(
        "UNKNOWN_RESOURCE_TYPE",
        `action ${action.name} does not apply to resource type ${JSON.stringify(request.resource.type)}; it applies to ${action.resourceTypes.join(", ")}`,
        { action: action.name, resource_type: request.resource.type, allowed: [...action.resourceTypes] },
      );
    }
    this.checkParents(request);
    const given = canonicalEntities(request.entities, this.compiled.info.allowedValues);
    if (!action.principalTypes.includes(request.principal.type)) return undefined;
    const slice = this.slice(action, request.resource.type, options.excludeReasons);
    if (slice.size === 0) return undefined;
    const { usage } = slice;
    const entities = this.entitiesFor(given, usage);
    if (usage.action && action.groups.length > 0) entities.push(this.actionEntity(action));
    const call: CedarCall = {
      principal: request.principal,
      action: { type: "Action", id: request.action },
      resource: request.resource,
      context: pruneRecord(request.context, usage.context),
      entities,
      preparsedPolicySetId: slice.id,
    };
    return { call, slice };
  }

  /** Releases the preparsed sets (Cedar has no delete: each id is overwritten with an empty set). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const slice of this.slices.values()) preparsePolicySet(slice.id, { staticPolicies: {} });
    this.slices.clear();
  }

  /** How many slices were built so far (for tests and measurements). */
  get sliceCount(): number {
    return this.slices.size;
  }

  /** How many Cedar answers are kept for reuse (for tests and measurements). */
  get cachedAnswers(): number {
    return this.answers?.size ?? 0;
  }

  private slice(action: ActionInfo, resourceType: string, exclude: readonly DecisionReasonCode[] | undefined): Slice {
    const excluded = exclude && exclude.length > 0 ? [...new Set(exclude)].sort().join(",") : "";
    const key = this.slicing ? `${action.name}|${resourceType}|${excluded}` : `*|${excluded}`;
    const cached = this.slices.get(key);
    if (cached) return cached;
    const policies = this.compiled.policies.filter(
      (p) => !excluded.split(",").includes(p.rule.reason) && (!this.slicing || inScope(p.scope, action.name, resourceType)),
    );
    const usage = this.slicing ? policies.reduce((u, p) => mergePolicyUsage(u, p.usage), NO_USAGE) : FULL_USAGE;
    const id = `${this.prefix}/${key}`;
    if (policies.length > 0) {
      const parsed = preparsePolicySet(id, { staticPolicies: Object.fromEntries(policies.map((p) => [p.rule.id, p.rule.text])) });
      if (parsed.type === "failure") throw new Error(`Cedar could not parse slice ${key}: ${parsed.errors.map((e) => e.message).join("; ")}`);
    }
    const slice: Slice = { id, size: policies.length, usage };
    this.slices.set(key, slice);
    return slice;
  }

  /**
   * Only what the slice reads: each entity costs Cedar ~4 µs plus ~3 µs per attribute or parent.
   * An entity left out reads as one without attributes or parents, which is all a slice that reads
   * neither would see of it.
   */
  private entitiesFor(entities: readonly CedarEntity[], usage: PolicyUsage): CedarEntity[] {
    if (usage.opaque) return [...entities];
    const { parents } = usage;
    const out: CedarEntity[] = [];
    for (const e of entities) {
      const attrs = pruneRecord(e.attrs, usage.entity);
      const kept = parents === undefined ? [] : parents === "any" ? e.parents : e.parents.filter((p) => parents.has(parentKey(p)));
      if (usage.entity !== undefined || kept.length > 0) out.push({ uid: e.uid, attrs, parents: kept });
    }
    return out;
  }

  /** The action with every group it belongs to as a parent: without a schema, Cedar learns `action in` from entities. */
  private actionEntity(action: ActionInfo): CedarEntity {
    let entity = this.actionEntities.get(action.name);
    if (!entity) {
      entity = { uid: { type: "Action", id: action.name }, attrs: {}, parents: action.groups.map((id) => ({ type: "Action", id })) };
      this.actionEntities.set(action.name, entity);
    }
    return entity;
  }

  private checkParents(request: CedarRequest): void {
    const info = this.compiled.info;
    for (const entity of request.entities) {
      const allowed = info.ancestorTypes(entity.uid.type);
      for (const parent of entity.parents) {
        if (!allowed.has(parent.type)) {
          throw new ArbiterError("REQUEST_INVALID", `${entity.uid.type} ${JSON.stringify(entity.uid.id)} cannot be a member of ${parent.type} ${JSON.stringify(parent.id)}: the schema does not allow it`, { entity: entity.uid, parent });
        }
      }
    }
  }
}
