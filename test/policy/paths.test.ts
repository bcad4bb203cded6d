// Path arguments as policy sees them (context.paths) and attribute values the schema lists (@values): the ways around a rule that each closes.
import fc from "fast-check";
import { posix } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildCedarRequest, interpret, loadPolicyDir, PolicyEngine, type RequestInput } from "../../src/policy/index.js";
import { argPaths, normalPath } from "../../src/policy/paths.js";
import { EXAMPLES, policyDir } from "./policy-dirs.js";

describe("normalPath", () => {
  it.each([
    ["/workspace/notes.md", "/workspace/notes.md"],
    ["/workspace/../etc/shadow", "/etc/shadow"],
    ["/workspace/a/./b/../../.env", "/workspace/.env"],
    ["/workspace/.env/", "/workspace/.env"],
    ["/workspace/.env///", "/workspace/.env"],
    ["//workspace//x", "/workspace/x"],
    ["/../../etc/passwd", "/etc/passwd"],
    ["/", "/"],
    ["///", "/"],
    ["a/../../etc", "../etc"],
    ["./", "."],
    ["", "."],
  ])("%j is %j", (raw, normal) => {
    expect(normalPath(raw)).toBe(normal);
  });

  it("is idempotent and never leaves a `..` inside an absolute path, a `.` segment or a trailing slash", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "B", ".", "..", "", ".env", "x y"), { maxLength: 8 }), fc.boolean(), (segments, absolute) => {
        const normal = normalPath(`${absolute ? "/" : ""}${segments.join("/")}`);
        expect(normalPath(normal)).toBe(normal);
        if (absolute) expect(normal.split("/")).not.toContain("..");
        expect(normal.split("/").slice(1)).not.toContain(".");
        if (normal !== "/") expect(normal.endsWith("/")).toBe(false);
        expect(posix.resolve("/r", normal)).toBe(posix.resolve("/r", `${absolute ? "/" : ""}${segments.join("/")}`));
      }),
    );
  });
});

describe("argPaths", () => {
  it("gives each top-level string argument its normal and lower-cased form, and nothing else", () => {
    expect(argPaths({ path: "/Workspace/../.ENV/", n: 3, nested: { path: "/x/../y" }, list: ["/a/../b"] })).toEqual({ path: { normal: "/.ENV", lower: "/.env" } });
  });

  it("refuses a NUL byte in any string argument, naming it", () => {
    expect(() => argPaths({ content: "ok", path: "/workspace/.env\u0000.md" })).toThrowError(
      expect.objectContaining({ code: "REQUEST_INVALID", message: "args.path: contains a NUL byte, which no path or name may hold; the call is refused" }) as Error,
    );
  });
});

const set = loadPolicyDir(EXAMPLES);
const engine = new PolicyEngine(set);
afterAll(() => engine.dispose());

const agent: RequestInput = {
  principal: { id: "research-agent", type: "agent", owner: "alice@example.com", status: "active", groups: [] },
  action: "read_file",
  resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } },
  now: new Date("2025-01-07T10:00:00Z"),
  auth: { method: "api_key", age_seconds: 0, acr: "" },
  args_digest: "",
};
const readFile = (path: string) => interpret(set, engine.evaluate(buildCedarRequest({ ...agent, args: { path } })));

describe("the sample file policies on paths an agent may try", () => {
  it.each([
    ["/workspace/../etc/shadow", "deny", "NO_MATCHING_PERMIT"],
    ["/workspace/app/../../etc/shadow", "deny", "NO_MATCHING_PERMIT"],
    ["/workspace/.env/", "deny", "POLICY_FORBID"],
    ["/workspace/.ENV", "deny", "POLICY_FORBID"],
    ["/workspace/App/.Env.Local", "deny", "POLICY_FORBID"],
    ["/workspace/Secrets/db.txt", "deny", "POLICY_FORBID"],
    ["/workspace/./notes.md", "allow", "POLICY_PERMIT"],
    ["/workspace/notes/../report.md", "allow", "POLICY_PERMIT"],
  ])("%j: %s %s", (path, outcome, reason) => {
    expect(readFile(path)).toMatchObject({ outcome, reason_code: reason });
  });
});

describe("attribute values the schema lists", () => {
  const deploy = (tier: string) => buildCedarRequest({
    ...agent,
    principal: { id: "release-bot", type: "pipeline", owner: "carol@example.com", status: "active", groups: ["release-pipelines"] },
    action: "deploy",
    resource: { type: "Environment", id: "prod", attributes: { tier } },
  });

  it.each(["production", "Production", "PRODUCTION"])("%j does not bypass the production approval", (tier) => {
    expect(interpret(set, engine.evaluate(deploy(tier)))).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED", determining: ["production-approval"] });
  });

  it("refuses a value that is not listed, naming those that are", () => {
    expect(() => engine.evaluate(deploy("prod"))).toThrowError(
      expect.objectContaining({ code: "REQUEST_INVALID", message: 'Environment "prod": attribute tier is "prod", which is not one of development, staging, production' }) as Error,
    );
  });

  it("matches a listed value without case and refuses one that is not a string", () => {
    const dir = policyDir({ "schema.cedarschema": (s) => s.replace("classification: String", '@values("open,closed") classification: String') });
    const listed = loadPolicyDir(dir);
    const e = new PolicyEngine(listed);
    const request = buildCedarRequest({
      ...agent,
      principal: { ...agent.principal, type: "human" },
      action: "read",
      resource: { type: "Document", id: "d", attributes: { owner_team: "Team A", classification: "OPEN" } },
      args: { path: "/a" },
    });
    expect(() => e.evaluate(request)).not.toThrow();
    expect(() => e.evaluate({ ...request, entities: request.entities.map((x) => (x.uid.type === "Document" ? { ...x, attrs: { ...x.attrs, classification: 3 } } : x)) })).toThrowError(
      expect.objectContaining({ code: "REQUEST_INVALID" }) as Error,
    );
    e.dispose();
  });
});
