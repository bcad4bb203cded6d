// limits.yaml: budgets parsed into counts per window, and which limits a call meets.
import { describe, expect, it } from "vitest";
import { loadPolicyDir, matchingLimits, type RateLimitRule } from "../../src/policy/index.js";
import { policyDir } from "./policy-dirs.js";

function limitsOf(yaml: string): readonly RateLimitRule[] {
  return loadPolicyDir(policyDir({ "limits.yaml": yaml })).limits;
}

describe("limits.yaml", () => {
  it.each([
    ["5/minute", { count: 5, perSeconds: 60 }],
    ["5 / minutes", { count: 5, perSeconds: 60 }],
    ["100/hour", { count: 100, perSeconds: 3600 }],
    ["20/day", { count: 20, perSeconds: 86400 }],
    ["10/30s", { count: 10, perSeconds: 30 }],
    ["3/2h", { count: 3, perSeconds: 7200 }],
    ["1/week", { count: 1, perSeconds: 604800 }],
  ])("reads the budget %s", (text, budget) => {
    expect(limitsOf(`limits:\n  - { id: a, rate: "${text}" }\n`)[0]?.rate).toEqual(budget);
  });

  it("normalises rules: id order, matches as written, burst only when given", () => {
    expect(limitsOf("limits:\n  - { id: z, quota: 20/day, match: { actions: [delete] } }\n  - { id: a, rate: 5/minute, burst: 10, match: { principal_types: [agent, pipeline], groups: [bots] } }\n")).toEqual([
      { id: "a", match: { principal_types: ["agent", "pipeline"], groups: ["bots"] }, rate: { count: 5, perSeconds: 60 }, burst: 10 },
      { id: "z", match: { actions: ["delete"] }, quota: { count: 20, perSeconds: 86400 } },
    ]);
  });

  it("is optional, and may be empty", () => {
    expect(loadPolicyDir(policyDir()).limits).toEqual([]);
    expect(limitsOf("limits: []\n")).toEqual([]);
    expect(limitsOf("# nothing yet\n")).toEqual([]);
  });
});

describe("matchingLimits", () => {
  const rules = limitsOf(`limits:
  - { id: any, quota: 1000/day }
  - { id: agents-read, rate: 5/minute, match: { principal_types: [agent], actions: [read] } }
  - { id: bot-7, rate: 1/s, match: { principal_ids: [bot-7] } }
  - { id: ops, rate: 9/minute, match: { groups: [ops, sre] } }
`);
  const ids = (subject: Parameters<typeof matchingLimits>[1]) => matchingLimits(rules, subject).map((r) => r.id);

  it("applies every rule whose given lists all match; absent lists match anything", () => {
    expect(ids({ principalType: "agent", principalId: "bot-7", groups: ["sre"], action: "read" })).toEqual(["agents-read", "any", "bot-7", "ops"]);
    expect(ids({ principalType: "agent", principalId: "bot-8", groups: [], action: "delete" })).toEqual(["any"]);
    expect(ids({ principalType: "human", principalId: "dana", groups: ["ops"], action: "read" })).toEqual(["any", "ops"]);
  });
});
