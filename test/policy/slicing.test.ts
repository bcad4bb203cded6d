// Slicing and pruning change nothing: the sliced engine decides exactly as Cedar does over the whole set and the whole request.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAuthorized } from "../../src/policy/cedar.js";
import { buildCedarRequest, compilePolicySet, PolicyEngine, type CedarRequest, type RequestInput } from "../../src/policy/index.js";
import { userSchemaFromText } from "../../src/policy/schema.js";
import type { DecisionReasonCode } from "../../src/record/index.js";

const SCHEMA = `
type IdentityAttributes = { team: String };
entity Folder in [Folder];
entity Doc in [Folder] { level: Long, tag: String };
entity Img in [Folder] { level: Long, tag: String };
type Ctx = { risk: Long, args: { path: String } };
action everything;
action reading in [everything];
action read in [reading] appliesTo { principal: [Agent, Human], resource: [Doc, Img], context: Ctx };
action list in [reading] appliesTo { principal: [Agent, Human], resource: [Doc, Img], context: Ctx };
action write in [everything] appliesTo { principal: [Agent, Human], resource: [Doc, Img], context: Ctx };
action purge appliesTo { principal: [Human], resource: [Doc], context: Ctx };
`;
const schema = userSchemaFromText(SCHEMA).schema;
if (!schema) throw new Error("the test schema does not load");

/** Every group an action is in, as the reference hands Cedar the action hierarchy. */
const ACTION_GROUPS: Record<string, string[]> = { read: ["reading", "everything"], list: ["reading", "everything"], write: ["everything"], purge: [] };
const REASONS = ["POLICY_FORBID", "APPROVAL_REQUIRED", "STEP_UP_REQUIRED", "OUTSIDE_TIME_WINDOW"] as const;

const CONDITIONS = [
  'principal.attributes.team == "t0"',
  "resource.level > 1",
  'resource.tag like "a*"',
  "context.risk >= 3",
  "context.now.hour < 12",
  'context.args.path like "/w/*"',
  'principal in Group::"g2"',
  'principal in [Group::"g0", Group::"g2"]',
  'resource in Folder::"f1"',
  'resource is Img in Folder::"f0"',
  'principal.status == "active"',
  'action in Action::"reading"',
  'action == Action::"write"',
  "context.auth.age_seconds > 100",
  'context.delegation.actors.contains("u0")',
  '(if context.risk > 5 then resource.level > 1 else principal.owner == "o0")',
  "context has args",
  "principal.attributes has team",
  "resource.level + context.risk > 4",
  'context.intent == ""',
  'Doc::"r0".level > 1',
  "true",
];

const policyArb = fc.record({
  effect: fc.constantFrom("permit", "forbid"),
  reason: fc.constantFrom(...REASONS),
  principal: fc.constantFrom("principal", "principal is Agent", "principal is Human", 'principal in Group::"g0"', 'principal in Group::"g1"', 'principal == Agent::"p0"', 'principal is Agent in Group::"g1"'),
  action: fc.constantFrom("action", 'action == Action::"read"', 'action == Action::"write"', 'action in [Action::"list", Action::"purge"]', 'action in Action::"reading"', 'action in Action::"everything"'),
  resource: fc.constantFrom("resource", "resource is Doc", "resource is Img", 'resource == Doc::"r0"', 'resource in Folder::"f0"', 'resource is Img in Folder::"f1"'),
  conditions: fc.array(fc.record({ kind: fc.constantFrom("when", "unless"), body: fc.constantFrom(...CONDITIONS) }), { maxLength: 3 }),
});

type GeneratedPolicy = typeof policyArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Conditions valid for every action, the built-in break_glass (context: the reserved names only;
 * resource: System) included: a policy with an unconstrained action may use only these.
 */
const ANY_ACTION_CONDITIONS = new Set([
  'principal.attributes.team == "t0"',
  "context.now.hour < 12",
  'principal in Group::"g2"',
  'principal in [Group::"g0", Group::"g2"]',
  'principal.status == "active"',
  'action in Action::"reading"',
  'action == Action::"write"',
  "context.auth.age_seconds > 100",
  'context.delegation.actors.contains("u0")',
  "context has args",
  "principal.attributes has team",
  'context.intent == ""',
  'Doc::"r0".level > 1',
  "true",
]);

function policyText(p: GeneratedPolicy, i: number): string {
  const reason = p.effect === "forbid" ? ` @reason("${p.reason}")` : "";
  const conditions = p.conditions
    .filter((c) => p.action !== "action" || ANY_ACTION_CONDITIONS.has(c.body))
    .map((c) => ` ${c.kind} { ${c.body} }`)
    .join("");
  return `@id("p${i}") @note("n${i}")${reason}\n${p.effect} (${p.principal}, ${p.action}, ${p.resource})${conditions};`;
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const requestArb = fc.record({
  type: fc.constantFrom<"agent" | "human">("agent", "human"),
  id: fc.constantFrom("p0", "p1"),
  owner: fc.constantFrom("o0", "o1"),
  status: fc.constantFrom("active", "suspended"),
  groups: fc.subarray(["g0", "g1", "g2"]),
  team: maybe(fc.constantFrom("t0", "t1")),
  action: fc.constantFrom("read", "list", "write", "purge"),
  resourceType: fc.constantFrom("Doc", "Img"),
  resourceId: fc.constantFrom("r0", "r1"),
  level: maybe(fc.integer({ min: 0, max: 3 })),
  tag: maybe(fc.constantFrom("a1", "b2")),
  folders: fc.subarray(["f0", "f1"]),
  risk: maybe(fc.integer({ min: 0, max: 6 })),
  path: maybe(fc.constantFrom("/w/x", "/z")),
  hour: fc.integer({ min: 0, max: 23 }),
  age: fc.integer({ min: 0, max: 200 }),
  delegated: fc.boolean(),
  intent: fc.constantFrom("", "x"),
  exclude: fc.subarray([...REASONS]),
});

type GeneratedRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function requestOf(r: GeneratedRequest): CedarRequest {
  const input: RequestInput = {
    principal: { id: r.id, type: r.type, owner: r.owner, status: r.status, groups: r.groups, attributes: r.team === undefined ? {} : { team: r.team } },
    action: r.action,
    resource: { type: r.resourceType, id: r.resourceId, attributes: { level: r.level, tag: r.tag }, parents: r.folders.map((id) => ({ type: "Folder", id })) },
    context: r.risk === undefined ? {} : { risk: r.risk },
    now: new Date(Date.UTC(2025, 0, 6, r.hour, 30)),
    intent: r.intent,
    auth: { method: "token", age_seconds: r.age, acr: "" },
    delegation: r.delegated ? [{ id: "u0", type: "human" }] : [],
    ...(r.path === undefined ? {} : { args: { path: r.path } }),
    args_digest: "",
  };
  return buildCedarRequest(input);
}

/** Cedar over the whole set (minus the excluded reasons) with the whole request: what slicing must reproduce. */
function reference(policies: GeneratedPolicy[], request: CedarRequest, exclude: readonly string[]) {
  const staticPolicies = Object.fromEntries(
    policies.flatMap((p, i) => (p.effect === "forbid" && exclude.includes(p.reason) ? [] : [[`p${i}`, policyText(p, i)]])),
  );
  const answer = isAuthorized({
    principal: request.principal,
    action: { type: "Action", id: request.action },
    resource: request.resource,
    context: request.context,
    entities: [...request.entities, { uid: { type: "Action", id: request.action }, attrs: {}, parents: (ACTION_GROUPS[request.action] ?? []).map((id) => ({ type: "Action", id })) }],
    policies: { staticPolicies },
  });
  if (answer.type === "failure") throw new Error(answer.errors.map((e) => e.message).join("; "));
  return {
    decision: answer.response.decision,
    determining: [...answer.response.diagnostics.reason].sort(),
    errors: answer.response.diagnostics.errors.map((e) => e.policyId).sort(),
  };
}

describe("sliced evaluation", () => {
  it("gives the decision, determining policies and failing policies of whole-set evaluation", () => {
    fc.assert(
      fc.property(fc.array(policyArb, { minLength: 1, maxLength: 24 }), fc.array(requestArb, { minLength: 1, maxLength: 12 }), (policies, requests) => {
        const set = compilePolicySet({ schema, policies: policies.map((p, i) => ({ id: `p${i}`, text: policyText(p, i) })), limits: [] });
        const engine = new PolicyEngine(set);
        try {
          for (const r of requests) {
            const request = requestOf(r);
            const exclude = r.exclude as DecisionReasonCode[];
            if (r.action === "purge" && r.resourceType === "Img") {
              expect(() => engine.evaluate(request)).toThrowError(expect.objectContaining({ code: "UNKNOWN_RESOURCE_TYPE" }) as Error);
              continue;
            }
            if (r.type === "agent" && r.action === "purge") {
              expect(engine.evaluate(request, { excludeReasons: exclude })).toMatchObject({ decision: "deny", determining: [], evaluated: 0 });
              continue;
            }
            const sliced = engine.evaluate(request, { excludeReasons: exclude });
            expect({ decision: sliced.decision, determining: sliced.determining, errors: sliced.errors.map((e) => e.policyId).sort() }).toEqual(reference(policies, request, exclude));
          }
        } finally {
          engine.dispose();
        }
      }),
      { numRuns: 150 },
    );
  });
});
