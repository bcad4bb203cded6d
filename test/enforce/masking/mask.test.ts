// Mask obligations: which paths and detectors apply where, what they replace, and what the tally keeps (never a value).
import { describe, expect, it } from "vitest";
import { MaskTally, maskJson, maskPlan, maskText, parseJsonPath, type MaskSpec } from "../../../src/enforce/masking/index.js";

function spec(fields: string[], detectors: MaskSpec["detectors"] = []): MaskSpec {
  return { fields: fields.map((path) => ({ path, segments: parseJsonPath(path) ?? [] })), detectors };
}

describe("mask plans", () => {
  it("sends $.arguments paths and arguments: detectors to the arguments, everything else to the payload", () => {
    const result = maskPlan([{ type: "rate", remaining: 1, reset_at: "2026-01-01T00:00:00Z" }, { type: "mask", fields: ["$.arguments.card", "$.customers[*].email", "$.arguments['api key']"], detectors: ["secret", "arguments:email"] }]);
    expect(result.ok).toBe(true);
    if (!result.ok || !result.plan) throw new Error("expected a plan");
    expect(result.plan.arguments.fields.map((f) => f.path)).toEqual(["$.arguments.card", "$.arguments['api key']"]);
    expect(result.plan.arguments.detectors).toEqual(["email"]);
    expect(result.plan.payload.fields.map((f) => f.path)).toEqual(["$.customers[*].email"]);
    expect(result.plan.payload.detectors).toEqual(["secret"]);
  });

  it("has no plan without a mask obligation, and refuses what it cannot honour", () => {
    expect(maskPlan([{ type: "grant_use", grant_id: "grt_1" }])).toEqual({ ok: true, plan: undefined });
    expect(maskPlan([{ type: "mask", fields: [], detectors: ["iban"] }])).toEqual({ ok: false, problem: 'the mask detector "iban" is unknown to this gateway' });
    expect(maskPlan([{ type: "mask", fields: ["$.a[?(@.x)]"], detectors: [] }])).toEqual({ ok: false, problem: 'the mask path "$.a[?(@.x)]" is not one this gateway can apply' });
    expect(maskPlan([{ type: "mask", fields: ["$"], detectors: [] }]).ok).toBe(false);
  });
});

describe("masking JSON and text", () => {
  const doc = () => ({
    customers: [
      { name: "Ann", email: "ann@example.com", card: { number: "4111111111111111" } },
      { name: "Bo", email: "bo@example.com", card: { number: "5500000000000004" } },
    ],
    "weird key": "x",
    note: "reach ann@example.com",
  });

  it.each<[string, unknown]>([
    ["$.customers[*].email", { 0: "[MASKED:field]", 1: "[MASKED:field]" }],
    ["$..email", { 0: "[MASKED:field]", 1: "[MASKED:field]" }],
    ["$.customers[1].email", { 0: "ann@example.com", 1: "[MASKED:field]" }],
    ["$.customers.*.email", { 0: "[MASKED:field]", 1: "[MASKED:field]" }],
    ["$.customers.email", { 0: "ann@example.com", 1: "bo@example.com" }],
  ])("%s", (path, emails) => {
    const masked = maskJson(doc(), spec([path]), new MaskTally(), "$") as ReturnType<typeof doc>;
    expect({ 0: masked.customers[0]?.email, 1: masked.customers[1]?.email }).toEqual(emails);
  });

  it("replaces whole values, counts each, and lists where they were", () => {
    const tally = new MaskTally();
    const masked = maskJson(doc(), spec(["$..card", "$['weird key']"], ["email"]), tally, "$.structuredContent") as Record<string, unknown>;
    expect(masked).toEqual({
      customers: [
        { name: "Ann", email: "[MASKED:email]", card: "[MASKED:field]" },
        { name: "Bo", email: "[MASKED:email]", card: "[MASKED:field]" },
      ],
      "weird key": "[MASKED:field]",
      note: "reach [MASKED:email]",
    });
    expect(tally.summary()).toEqual({
      fields: ["$.structuredContent.customers[0].card", "$.structuredContent.customers[1].card", "$.structuredContent['weird key']", "$.structuredContent.customers[0].email", "$.structuredContent.customers[1].email", "$.structuredContent.note"],
      detectors: { email: 3, field: 3 },
    });
    expect(JSON.stringify(tally.summary())).not.toMatch(/example\.com|4111/);
  });

  it("applies paths to JSON text in its own layout, and detectors to any text", () => {
    const compact = maskText(JSON.stringify(doc()), spec(["$.note"]), new MaskTally(), "$.content[0].text");
    expect(compact).toBe(JSON.stringify({ ...doc(), note: "[MASKED:field]" }));
    const pretty = maskText(JSON.stringify(doc(), null, 2), spec(["$.note"]), new MaskTally(), "$.content[0].text");
    expect(pretty).toBe(JSON.stringify({ ...doc(), note: "[MASKED:field]" }, null, 2));
    const untouched = `{"note": "no match here"}`;
    expect(maskText(untouched, spec(["$.missing"]), new MaskTally(), "$")).toBe(untouched);
    expect(maskText("plain text, card 4111-1111-1111-1111", spec(["$.note"], ["payment_card"]), new MaskTally(), "$")).toBe("plain text, card [MASKED:payment_card]");
  });

  it("caps the locations it lists, not the counts", () => {
    const tally = new MaskTally();
    const many = Array.from({ length: 300 }, (_, i) => `user${i}@example.com`);
    maskJson(many, spec([], ["email"]), tally, "$");
    const summary = tally.summary();
    expect(summary?.fields).toHaveLength(256);
    expect(summary?.fields.at(-1)).toBe("… and 45 more");
    expect(summary?.detectors).toEqual({ email: 300 });
  });
});
