// The one JSONPath grammar of mask obligations: what policy validation accepts is what maskers parse.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseJsonPath } from "../../src/record/index.js";

/** The pattern policy validation used before it called the parser: the reference the parser must agree with. */
const REFERENCE = /^\$(?:\.\.?[A-Za-z_][A-Za-z0-9_-]*|\.\*|\[\*\]|\[[0-9]+\]|\['[^'\\]+'\])*$/;

describe("parseJsonPath", () => {
  it.each([
    ["$", []],
    ["$.customers[*].email", [{ kind: "child", name: "customers" }, { kind: "wildcard" }, { kind: "child", name: "email" }]],
    ["$..card", [{ kind: "descendant", name: "card" }]],
    ["$.*[3]['a b']", [{ kind: "wildcard" }, { kind: "index", index: 3 }, { kind: "child", name: "a b" }]],
  ])("reads %s", (path, segments) => {
    expect(parseJsonPath(path)).toEqual(segments);
  });

  it.each(["customer.email", "$.", "$.1a", "$['']", "$[-1]", '$["a"]', "$.a[", "$...a", "$['a\\'b']"])("refuses %s", (path) => {
    expect(parseJsonPath(path)).toBeUndefined();
  });

  it("accepts exactly the paths the reference pattern accepts", () => {
    const piece = fc.constantFrom("$", ".", "..", "*", "[", "]", "'", "\\", "a", "Z", "_", "-", "0", "7", " ", '"');
    fc.assert(
      // Half start at $, as valid paths do, so that both answers are drawn often.
      fc.property(fc.boolean(), fc.array(piece, { maxLength: 12 }), (rooted, pieces) => {
        const path = `${rooted ? "$" : ""}${pieces.join("")}`;
        expect(parseJsonPath(path) !== undefined).toBe(REFERENCE.test(path));
      }),
      { numRuns: 5000 },
    );
  });
});
