// Building Cedar requests: JSON conversion, the reserved context, and the limits on hostile input.
import { describe, expect, it } from "vitest";
import { buildCedarRequest, type RequestInput } from "../../src/policy/index.js";

const INPUT: RequestInput = {
  principal: { id: "bot-1", type: "agent", owner: "alice@example.com", status: "active", groups: ["support", "eu"], attributes: { team: "care" } },
  action: "read_file",
  resource: { type: "Tool", id: "fs/read", attributes: { server: "fs", sensitivity: "internal" }, parents: [{ type: "Server", id: "fs" }] },
  now: new Date("2025-01-12T23:59:30.250Z"),
  auth: { method: "token", age_seconds: 61.9, acr: "mfa" },
  args_digest: "sha256:" + "0".repeat(64),
};

function build(patch: Partial<RequestInput>) {
  return buildCedarRequest({ ...INPUT, ...patch });
}

describe("buildCedarRequest", () => {
  it("builds principal, resource, entities and the reserved context", () => {
    expect(buildCedarRequest(INPUT)).toEqual({
      principal: { type: "Agent", id: "bot-1" },
      action: "read_file",
      resource: { type: "Tool", id: "fs/read" },
      context: {
        now: { epoch: 1736726370, hour: 23, minute: 59, weekday: 7, date: "2025-01-12" },
        intent: "",
        auth: { method: "token", age_seconds: 61, acr: "mfa" },
        delegation: { depth: 0, actors: [], on_behalf_of: "" },
        args_digest: "sha256:" + "0".repeat(64),
      },
      entities: [
        {
          uid: { type: "Agent", id: "bot-1" },
          attrs: { owner: "alice@example.com", status: "active", identity_type: "agent", attributes: { team: "care" } },
          parents: [{ type: "Group", id: "support" }, { type: "Group", id: "eu" }],
        },
        { uid: { type: "Tool", id: "fs/read" }, attrs: { server: "fs", sensitivity: "internal" }, parents: [{ type: "Server", id: "fs" }] },
      ],
    });
  });

  it.each([
    ["agent", "Agent"],
    ["service_account", "ServiceAccount"],
    ["api_key", "ApiKey"],
    ["workload", "Workload"],
    ["pipeline", "Pipeline"],
    ["human", "Human"],
  ] as const)("maps identity type %s to entity type %s", (type, entity) => {
    expect(build({ principal: { ...INPUT.principal, type } }).principal.type).toBe(entity);
  });

  it("numbers weekdays the ISO way, Monday 1 to Sunday 7, in UTC", () => {
    expect(build({ now: new Date("2025-01-06T00:00:00Z") }).context.now).toMatchObject({ weekday: 1, hour: 0 });
    expect(build({ now: new Date("2025-01-05T23:00:00-02:00") }).context.now).toMatchObject({ weekday: 1, hour: 1, date: "2025-01-06" });
  });

  it("summarises delegation: depth, the set of actors and the origin", () => {
    const delegation = [{ id: "planner", type: "agent", on_behalf_of: "dana" }, { id: "dana", type: "human" }];
    expect(build({ delegation, intent: "triage" }).context).toMatchObject({ intent: "triage", delegation: { depth: 2, actors: ["planner", "dana"], on_behalf_of: "dana" } });
  });

  it("converts JSON to Cedar values: integers stay, other numbers become strings, nulls vanish, arrays become sets", () => {
    const request = build({
      args: { path: "/a", n: 3, ratio: 0.5, big: 2 ** 60, neg: -7, off: null, missing: undefined, tags: ["x", null, 2], nested: { deep: [{ a: true }] } },
    });
    expect(request.context.args).toEqual({ path: "/a", n: 3, ratio: "0.5", big: "1152921504606847000", neg: -7, tags: ["x", 2], nested: { deep: [{ a: true }] } });
  });

  it("puts only object arguments in context.args", () => {
    expect(build({ args: ["a"] }).context.args).toBeUndefined();
    expect(build({ args: "text" }).context.args).toBeUndefined();
    expect(build({ args: {} }).context.args).toEqual({});
  });

  it("merges the request's own context beside the reserved names", () => {
    expect(build({ context: { risk: 7, region: "eu" } }).context).toMatchObject({ risk: 7, region: "eu", intent: "" });
  });

  it("is one entity when an identity acts on itself", () => {
    const request = build({ resource: { type: "Agent", id: "bot-1" } });
    expect(request.entities.map((e) => e.uid)).toEqual([{ type: "Agent", id: "bot-1" }]);
  });

  const deep = (levels: number): Record<string, unknown> => (levels === 1 ? { leaf: 1 } : { next: deep(levels - 1) });
  const wide = (members: number) => Object.fromEntries(Array.from({ length: members }, (_, i) => [`k${i}`, i]));

  it.each([
    ["a reserved context name", { context: { now: 1 } }, "context.now: this name is reserved for the context Arbiter fills in"],
    ["args given as context", { context: { args: {} } }, "context.args: this name is reserved for the context Arbiter fills in"],
    ["a Cedar entity escape", { args: { who: { __entity: { type: "Human", id: "root" } } } }, "args.who.__entity: member names starting with __ are reserved by Cedar's JSON format"],
    ["an extension escape in attributes", { resource: { type: "Tool", id: "t", attributes: { __extn: { fn: "ip", arg: "1.2.3.4" } } } }, "resource.attributes.__extn: member names starting with __ are reserved by Cedar's JSON format"],
    ["nesting deeper than 8 levels", { args: deep(8) }, "args.next.next.next.next.next.next.next: nested deeper than 8 levels"],
    ["more than 256 members", { context: wide(257) }, "context: more than 256 members and elements"],
    ["more than 256 elements", { args: { list: Array.from({ length: 256 }, (_, i) => i) } }, "args.list: more than 256 members and elements"],
    ["a non-finite number", { args: { x: Number.NaN } }, "args.x: NaN is not a JSON number"],
    ["a class instance", { args: { when: new Date(0) } }, "args.when: expected plain JSON data"],
    ["an invalid time", { now: new Date(Number.NaN) }, "now: not a valid time"],
    ["a negative auth age", { auth: { method: "token", age_seconds: -1, acr: "" } }, "auth.age_seconds: expected a number of seconds, 0 or more"],
    ["an unidentified caller", { principal: { ...INPUT.principal, type: "unknown" as const } }, "principal.type: an unidentified caller cannot be evaluated by policy"],
  ])("refuses %s with REQUEST_INVALID", (_, patch, message) => {
    expect(() => build(patch as Partial<RequestInput>)).toThrowError(expect.objectContaining({ code: "REQUEST_INVALID", message }) as Error);
  });

  it("accepts exactly 8 levels and 256 members", () => {
    expect(() => build({ args: deep(7) })).not.toThrow();
    expect(() => build({ context: wide(256) })).not.toThrow();
  });
});
