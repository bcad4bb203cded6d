// The sliced engine on the sample set: refusals before Cedar, slices, exclusions, failures and disposal.
import { afterAll, describe, expect, it } from "vitest";
import { buildCedarRequest, interpret, loadPolicyDir, PolicyEngine, type RequestInput } from "../../src/policy/index.js";
import { EXAMPLES } from "./policy-dirs.js";

const set = loadPolicyDir(EXAMPLES);
const engine = new PolicyEngine(set);
afterAll(() => engine.dispose());

const TUESDAY = new Date("2025-01-07T10:00:00Z");
const base: RequestInput = {
  principal: { id: "release-bot", type: "pipeline", owner: "carol@example.com", status: "active", groups: ["release-pipelines"] },
  action: "deploy",
  resource: { type: "Environment", id: "prod", attributes: { tier: "production" } },
  now: TUESDAY,
  auth: { method: "api_key", age_seconds: 0, acr: "" },
  args_digest: "",
};
const request = (patch: Partial<RequestInput> = {}) => buildCedarRequest({ ...base, ...patch });

describe("PolicyEngine", () => {
  it("refuses an undeclared action before Cedar, naming the declared ones", () => {
    expect(() => engine.evaluate(request({ action: "deploy_all" }))).toThrowError(
      expect.objectContaining({ code: "UNKNOWN_ACTION", details: { action: "deploy_all", allowed: set.actions() } }) as Error,
    );
  });

  it("refuses a resource type the action does not apply to, naming the allowed ones", () => {
    expect(() => engine.evaluate(request({ resource: { type: "Tool", id: "x" } }))).toThrowError(
      expect.objectContaining({ code: "UNKNOWN_RESOURCE_TYPE", message: 'action deploy does not apply to resource type "Tool"; it applies to Environment', details: { action: "deploy", resource_type: "Tool", allowed: ["Environment"] } }) as Error,
    );
  });

  it("refuses a resource parent the schema does not allow", () => {
    expect(() => engine.evaluate(request({ resource: { type: "Environment", id: "prod", attributes: { tier: "production" }, parents: [{ type: "Group", id: "x" }] } }))).toThrowError(
      expect.objectContaining({ code: "REQUEST_INVALID" }) as Error,
    );
  });

  it("denies a principal type the action does not apply to without consulting Cedar", () => {
    const e = engine.evaluate(request({ principal: { ...base.principal, type: "agent" } }));
    expect(e).toMatchObject({ decision: "deny", determining: [], evaluated: 0 });
  });

  it("hands Cedar only what the slice reads, the call cedarInput shows (bench:cedar times it)", () => {
    const prepared = engine.cedarInput(request());
    expect(prepared?.call).toEqual({
      principal: { type: "Pipeline", id: "release-bot" },
      action: { type: "Action", id: "deploy" },
      resource: { type: "Environment", id: "prod" },
      context: { now: { weekday: 2, hour: 10 } },
      entities: [
        { uid: { type: "Pipeline", id: "release-bot" }, attrs: {}, parents: [{ type: "Group", id: "release-pipelines" }] },
        { uid: { type: "Environment", id: "prod" }, attrs: { tier: "production" }, parents: [] },
      ],
      preparsedPolicySetId: prepared?.slice.id,
    });
    expect(prepared?.slice.size).toBe(engine.evaluate(request()).evaluated);
    expect(engine.cedarInput(request({ principal: { ...base.principal, type: "agent" } }))).toBeUndefined();
  });

  it("evaluates each request against its slice only, including policies scoped by action group", () => {
    const read = engine.evaluate(request({ principal: { ...base.principal, id: "a", type: "agent", groups: [] }, action: "read_file", resource: { type: "Tool", id: "fs", attributes: { server: "fs", sensitivity: "low" } }, args: { path: "/workspace/.env" } }));
    expect(read).toMatchObject({ decision: "deny", determining: ["no-credential-files"], evaluated: 2 });
    expect(engine.evaluate(request())).toMatchObject({ decision: "deny", determining: ["production-approval"], evaluated: 3 });
  });

  it("sets policies aside by reason, in a slice of their own", () => {
    const before = engine.sliceCount;
    const e = engine.evaluate(request(), { excludeReasons: ["APPROVAL_REQUIRED"] });
    expect(e).toMatchObject({ decision: "allow", determining: ["pipelines-deploy"], evaluated: 2 });
    expect(engine.sliceCount).toBe(before + 1);
    engine.evaluate(request(), { excludeReasons: ["APPROVAL_REQUIRED", "APPROVAL_REQUIRED"] });
    expect(engine.sliceCount).toBe(before + 1);
  });

  it("reports a forbid that cannot be evaluated, and interpret fails closed on it", () => {
    const e = engine.evaluate(request({ resource: { type: "Environment", id: "prod" } }));
    expect(e.errors.map((x) => x.policyId).sort()).toEqual(["deploy-window", "production-approval"]);
    expect(e.errors[0]?.message).toMatch(/tier/);
    expect(interpret(set, e)).toMatchObject({ outcome: "error", reason_code: "DECISION_ERROR", determining: ["deploy-window", "pipelines-deploy", "production-approval"] });
  });

  it("keeps engines apart: disposing one leaves another working", () => {
    const a = new PolicyEngine(set);
    const b = new PolicyEngine(set);
    expect(a.evaluate(request()).determining).toEqual(["production-approval"]);
    expect(b.evaluate(request()).determining).toEqual(["production-approval"]);
    a.dispose();
    expect(() => a.evaluate(request())).toThrowError(/after dispose/);
    expect(b.evaluate(request()).determining).toEqual(["production-approval"]);
    b.dispose();
  });

  describe("reusing Cedar's answers", () => {
    const agentRead = (path: string, patch: Partial<RequestInput> = {}) =>
      request({ principal: { ...base.principal, id: "a", type: "agent", groups: [] }, action: "read_file", resource: { type: "Tool", id: "fs", attributes: { server: "fs", sensitivity: "low" } }, args: { path }, ...patch });

    it("answers a repeated request from the cache, with the same evaluation", () => {
      const cached = new PolicyEngine(set);
      const first = cached.evaluate(request());
      const kept = cached.cachedAnswers;
      expect(kept).toBe(1);
      expect(cached.evaluate(request())).toEqual(first);
      expect(cached.cachedAnswers).toBe(kept);
      cached.dispose();
    });

    it("keys on what the slice reads: other arguments are evaluated afresh, other clocks the slice ignores are not", () => {
      const cached = new PolicyEngine(set);
      expect(cached.evaluate(agentRead("/workspace/.env"))).toMatchObject({ decision: "deny", determining: ["no-credential-files"] });
      // The slice reads context.args: a different path is a different question, with a different answer.
      expect(cached.evaluate(agentRead("/workspace/src/main.ts"))).toMatchObject({ decision: "allow" });
      expect(cached.cachedAnswers).toBe(2);
      // Nothing in this slice reads the clock or the caller's authentication: the answer is reused.
      expect(cached.evaluate(agentRead("/workspace/.env", { now: new Date("2025-03-01T23:59:00Z"), auth: { method: "token", age_seconds: 9000, acr: "mfa" } }))).toMatchObject({ decision: "deny", determining: ["no-credential-files"] });
      expect(cached.cachedAnswers).toBe(2);
      cached.dispose();
    });

    it("keys on the principal and resource as given: a changed attribute is a new evaluation", () => {
      const cached = new PolicyEngine(set);
      expect(cached.evaluate(request())).toMatchObject({ decision: "deny", determining: ["production-approval"] });
      expect(cached.evaluate(request({ resource: { type: "Environment", id: "prod", attributes: { tier: "staging" } } }))).toMatchObject({ decision: "allow", determining: ["pipelines-deploy"] });
      expect(cached.evaluate(request({ principal: { ...base.principal, groups: [] } })).determining).not.toContain("pipelines-deploy");
      expect(cached.cachedAnswers).toBe(3);
      cached.dispose();
    });

    it("gives the same answers as an engine without the cache, on every sample case twice over", () => {
      const cached = new PolicyEngine(set);
      const plain = new PolicyEngine(set, { answerCache: false });
      for (const round of [1, 2]) {
        for (const r of [request(), agentRead("/workspace/.env"), agentRead("/tmp/x"), request({ resource: { type: "Environment", id: "prod" } })]) {
          expect({ round, ...cached.evaluate(r) }).toEqual({ round, ...plain.evaluate(r) });
        }
      }
      expect(plain.cachedAnswers).toBe(0);
      cached.dispose();
      plain.dispose();
    });
  });

  it("gives the same answers unsliced", () => {
    const whole = new PolicyEngine(set, { slicing: false });
    expect(whole.evaluate(request())).toMatchObject({ decision: "deny", determining: ["production-approval"], evaluated: 12 });
    whole.dispose();
  });
});
