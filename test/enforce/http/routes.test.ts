// Canonical request-targets and route matching: what is refused, what each path matches, and what a routes file may not say.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalTarget, compileRoutes, matchRoute } from "../../../src/enforce/http/index.js";

describe("canonicalTarget", () => {
  it.each([
    ["/customers/42", "/customers/42"],
    ["/customers/42/", "/customers/42/"],
    ["/", "/"],
    ["/files/caf%C3%A9", "/files/café"],
    ["/files/%7Euser?x=1&y=%2F", "/files/~user"],
  ])("reads %s as %s", (raw, path) => {
    const result = canonicalTarget(raw);
    expect(result.ok && result.target.path).toBe(path);
  });

  it.each([
    ["", "empty"],
    ["customers/1", "starting with"],
    ["/a/../b", "dot segment"],
    ["/a/./b", "dot segment"],
    ["/a/%2e%2e/b", "dot segment"],
    ["/a/%2E./b", "dot segment"],
    ["/a%2fb", "encoded slash"],
    ["/a%5Cb", "encoded backslash"],
    ["/a\\b", "backslash"],
    ["/a%252e", "double-encoded"],
    ["/a%00", "control character"],
    ["/a%0d%0aX: y", "control, space"],
    ["/a%0d%0a", "control character"],
    ["/a;b=c", "path parameter"],
    ["/a%3bb", "\";\""],
    ["/a//b", "empty path segment"],
    ["/a%zz", "two hex digits"],
    ["/a%c3", "UTF-8"],
    ["/a#frag", "fragment"],
    ["/caf\u00e9", "non-ASCII"],
    ["/a?x=%00", "NUL"],
    [`/${"a".repeat(5000)}`, "longer than"],
  ])("refuses %j (%s)", (raw, problem) => {
    const result = canonicalTarget(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem).toContain(problem);
  });

  it("never lets a dot segment or a separator through, whatever the encoding", () => {
    const piece = fc.constantFrom(".", "..", "%2e", "%2E", "%2e%2e", "/", "%2f", "%5c", "\\", "%25", "a", "b", "%41", ";", "%3b");
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 8 }), (pieces) => {
        const result = canonicalTarget(`/${pieces.join("")}`);
        if (!result.ok) return;
        for (const segment of result.target.segments) {
          expect(segment).not.toBe(".");
          expect(segment).not.toBe("..");
          expect(segment).not.toMatch(/[/\\;%]/);
        }
      }),
    );
  });
});

const FILE = `
routes:
  - { match: GET /customers/:id, action: read_customer, resource: { type: Customer, id: "{id}" } }
  - { match: GET /customers/search, action: search_customers, resource: { type: Customer, id: all } }
  - { match: "* /files/*rest", action: touch_file, resource: { type: File, id: "{rest}" } }
  - { match: GET /customers/:id, host: eu.example.com, action: read_eu_customer, resource: { type: Customer, id: "{id}" } }
`;

describe("matchRoute", () => {
  const table = compileRoutes(FILE, "routes.yaml");
  const match = (method: string, host: string, path: string) => {
    const target = canonicalTarget(path);
    if (!target.ok) throw new Error(target.problem);
    const found = matchRoute(table.routes, method, host, target.target.segments);
    return found ? { action: found.route.spec.action, params: found.params } : undefined;
  };

  it.each([
    ["GET", "api.example.com", "/customers/42", { action: "read_customer", params: { id: "42" } }],
    ["GET", "api.example.com", "/customers/search", { action: "search_customers", params: {} }],
    ["GET", "eu.example.com", "/customers/42", { action: "read_eu_customer", params: { id: "42" } }],
    ["DELETE", "api.example.com", "/files/a/b.txt", { action: "touch_file", params: { rest: "a/b.txt" } }],
    ["POST", "api.example.com", "/customers/42", undefined],
    ["GET", "api.example.com", "/customers/42/", undefined],
    ["GET", "api.example.com", "/customers", undefined],
    ["GET", "api.example.com", "/customers/42/orders", undefined],
  ])("%s %s%s", (method, host, path, expected) => {
    expect(match(method, host, path)).toEqual(expected);
  });
});

describe("compileRoutes refuses", () => {
  it.each([
    ["a placeholder that is not a parameter", `routes: [{ match: GET /a/:id, action: x, resource: { type: T, id: "{other}" } }]`, "{other}"],
    ["a lowercase method", `routes: [{ match: get /a, action: x, resource: { type: T, id: a } }]`, "METHOD"],
    ["a dot segment in a template", `routes: [{ match: GET /a/../b, action: x, resource: { type: T, id: a } }]`, "not a path segment"],
    ["a wildcard before the end", `routes: [{ match: GET /a/*rest/b, action: x, resource: { type: T, id: a } }]`, "last segment"],
    ["two routes matching the same", `routes: [{ match: GET /a/:x, action: x, resource: { type: T, id: a } }, { match: GET /a/:y, action: y, resource: { type: T, id: a } }]`, "matches exactly what"],
    ["an unknown key", `routes: [{ match: GET /a, action: x, resource: { type: T, id: a }, acton: y }]`, "acton"],
    ["a JWT issuer without keys", `callers: { jwt: [{ issuer: https://idp, audience: a }] }`, "jwks_url or jwks_file"],
    ["YAML that is not YAML", `routes: [`, "not YAML"],
  ])("%s", (_, text, problem) => {
    expect(() => compileRoutes(text, "routes.yaml")).toThrow(problem);
  });
});
