// Reading the records of a JSON document one by one, whole or cut off anywhere, and mapping paths.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arrayElements, memberArrayStart } from "../../src/linkage/document.js";
import { parsePath, valueAt } from "../../src/linkage/json-path.js";

const records = fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 12 });

describe("arrayElements", () => {
  it("returns every element of a whole array, as JSON.parse reads it", () => {
    fc.assert(
      fc.property(records, fc.boolean(), (values, pretty) => {
        const text = JSON.stringify({ Records: values }, null, pretty ? 2 : undefined);
        const elements = [...arrayElements(text, memberArrayStart(text, "Records"))];
        expect(elements.map((e): unknown => ("text" in e ? JSON.parse(e.text) : e))).toEqual(JSON.parse(JSON.stringify(values)) as unknown);
      }),
    );
  });

  it("returns the complete elements before any cut, then says the rest was truncated", () => {
    fc.assert(
      fc.property(records.filter((v) => v.length > 0), fc.double({ min: 0, max: 1, noNaN: true }), (values, where) => {
        const text = JSON.stringify(values);
        const cut = text.slice(0, Math.min(text.length - 1, Math.floor(where * text.length)));
        if (cut.length === 0) return;
        const elements = [...arrayElements(cut, 0)];
        const complete = elements.filter((e): e is { index: number; text: string } => "text" in e);
        expect(complete.map((e): unknown => JSON.parse(e.text))).toEqual((JSON.parse(JSON.stringify(values)) as unknown[]).slice(0, complete.length));
        expect(elements.at(-1)).toHaveProperty("truncated");
      }),
    );
  });

  it("is not fooled by brackets and escaped quotes inside strings", () => {
    const text = '[{"a":"}]\\"{["},{"b":[1,{"c":"]"}]}]';
    expect([...arrayElements(text, 0)].map((e): unknown => ("text" in e ? JSON.parse(e.text) : e))).toEqual([{ a: '}]"{[' }, { b: [1, { c: "]" }] }]);
  });
});

describe("mapping paths", () => {
  it("reads dotted, indexed and quoted segments", () => {
    const event = { headers: { "x-arbiter-decision-id": "d1" }, annotations: { "authorization.k8s.io/decision": "allow" }, resources: [{ ARN: "arn:1" }], "@timestamp": "t" };
    expect(valueAt(event, parsePath("headers.x-arbiter-decision-id"))).toBe("d1");
    expect(valueAt(event, parsePath('annotations["authorization.k8s.io/decision"]'))).toBe("allow");
    expect(valueAt(event, parsePath("resources[0].ARN"))).toBe("arn:1");
    expect(valueAt(event, parsePath("@timestamp"))).toBe("t");
    expect(valueAt(event, parsePath("resources[3].ARN"))).toBeUndefined();
  });

  it("refuses a path it cannot read, naming where", () => {
    expect(() => parsePath("a..b")).toThrow(/not valid at character 2/);
    expect(() => parsePath(".a")).toThrow(/not valid at character 1/);
  });
});
