// Rate limits hold across processes on one data directory: `arbiter decide` runs, a flood of them at
// once, and a `serve` beside the CLI all spend one budget, kept in the directory's database.
import { describe, expect, it } from "vitest";
import { openRuntime } from "../../src/runtime/index.js";
import { decideInProcess, freshDataDir, SEARCH_REQUEST, seedDataDir, startServe } from "../support/shared-limits.js";

async function recorded(dir: string, ids: readonly string[]): Promise<string[]> {
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    return ids.map((id) => String((runtime.decisions.find(id).record as { reason_code?: string }).reason_code));
  } finally {
    await runtime.close();
  }
}

describe("a rate limit shared by the processes of one data directory", () => {
  it("refuses the 6th and 7th of seven `arbiter decide` runs in a row, and records them", async () => {
    const dir = freshDataDir("arbiter-shared-cli-");
    await seedDataDir(dir);
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await decideInProcess(dir));
    expect(runs.map((r) => r.reason_code)).toEqual(["POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "RATE_LIMITED", "RATE_LIMITED"]);
    expect(runs.map((r) => r.status)).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(await recorded(dir, runs.map((r) => r.decision_id))).toEqual(runs.map((r) => r.reason_code));
  }, 180_000);

  it("never allows more than the budget to a flood of processes deciding at once", async () => {
    const dir = freshDataDir("arbiter-shared-flood-");
    await seedDataDir(dir);
    const runs = await Promise.all(Array.from({ length: 8 }, () => decideInProcess(dir)));
    expect(runs.filter((r) => r.outcome === "allow")).toHaveLength(5);
    expect(runs.filter((r) => r.reason_code === "RATE_LIMITED")).toHaveLength(3);
  }, 180_000);

  it("counts a `serve` and the CLI against one budget", async () => {
    const dir = freshDataDir("arbiter-shared-serve-");
    const { pepKey } = await seedDataDir(dir);
    const serve = await startServe(dir, pepKey);
    try {
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await serve.decide(SEARCH_REQUEST)).body.reason_code);
      for (let i = 0; i < 2; i++) answers.push((await decideInProcess(dir)).reason_code);
      answers.push((await serve.decide(SEARCH_REQUEST)).body.reason_code);
      answers.push((await decideInProcess(dir)).reason_code);
      expect(answers).toEqual(["POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "RATE_LIMITED", "RATE_LIMITED"]);
    } finally {
      await serve.stop();
    }
  }, 180_000);
});
