// Tampering with the query tables (record_index, record_policies): listings answer from them, so
// `arbiter log verify` recomputes each row from its entry and names the table and index that lie.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, tempDir } from "../support/cli.js";
import { eventLine, tamperedCopy } from "../support/ledger.js";

const ENTRIES = 60;
const trace = (i: number): string => (i + 1).toString(16).padStart(32, "0");
let pristine: string;
const work = tempDir();

function tampered(name: string, sql: string): string {
  return tamperedCopy(pristine, join(work, name), sql);
}

interface Verified {
  status: number | null;
  stderr: string;
  ok?: boolean;
  failure?: { index: number; table?: string; problem: string };
}

function verify(dir: string): Verified {
  const json = arbiter(["log", "verify", "--json", "--data", dir]);
  const human = arbiter(["log", "verify", "--data", dir]);
  expect(human.status).toBe(json.status);
  return { status: json.status, stderr: human.stderr, ...(JSON.parse(json.stdout) as { ok: boolean }) };
}

beforeAll(() => {
  pristine = join(work, "pristine");
  expect(arbiter(["init", "--data", pristine, "--origin", "tamper-index.arbiter.example/log"]).status).toBe(0);
  const lines = Array.from({ length: ENTRIES }, (_, i) =>
    JSON.stringify(eventLine(i, { policy: { set_version: "v1", determining: i % 2 ? ["deploy-window", "deploy-owners"] : ["deploy-window"] }, correlation: { trace_id: trace(i) } })),
  ).join("\n");
  expect(arbiter(["log", "append", "--data", pristine], { input: lines }).status).toBe(0);
});

describe("arbiter log verify on tampered query tables", () => {
  it("passes on the untouched tables", () => {
    expect(verify(pristine)).toMatchObject({ status: 0, ok: true });
  });

  it("names the index and table when an outcome is flipped in record_index", () => {
    // Entry 25 is a deny (i % 5 === 0); the flip hides it from ?outcome=deny and shows it as allowed.
    const dir = tampered("flip", "UPDATE record_index SET outcome = 'allow' WHERE idx = 25");
    const result = verify(dir);
    expect(result).toMatchObject({ status: 1, ok: false, failure: { index: 25, table: "record_index" } });
    expect(result.failure?.problem).toMatch(/outcome is "allow" but the entry says "deny"/);
    expect(result.stderr).toMatch(/FAILED at index 25 \(table record_index\): record_index row of entry 25: outcome/);
  });

  it("notices a changed subject, a NULLed trace id and a moved row", () => {
    expect(verify(tampered("subject", "UPDATE record_index SET subject_id = 'bot-0' WHERE idx = 40"))).toMatchObject({
      status: 1,
      failure: { index: 40, table: "record_index", problem: expect.stringMatching(/subject_id is "bot-0" but the entry says "bot-5"/) as unknown },
    });
    expect(verify(tampered("trace", "UPDATE record_index SET trace_id = NULL WHERE idx = 7"))).toMatchObject({
      status: 1,
      failure: { index: 7, problem: expect.stringMatching(new RegExp(`trace_id is null but the entry says "${trace(7)}"`)) as unknown },
    });
    expect(verify(tampered("moved", "UPDATE record_index SET idx = 1000 WHERE idx = 12"))).toMatchObject({
      status: 1,
      failure: { index: 12, table: "record_index", problem: expect.stringMatching(/no row for entry 12/) as unknown },
    });
  });

  it("notices a row for an entry that does not exist", () => {
    const dir = tampered(
      "stray",
      "INSERT INTO record_index (idx, record_id, kind, time, outcome) VALUES (500, 'forged', 'decision', '2026-01-01T00:00:00Z', 'deny')",
    );
    expect(verify(dir)).toMatchObject({ status: 1, failure: { index: 500, problem: expect.stringMatching(/log holds 60 entries/) as unknown } });
  });

  it("notices a determining policy removed from or added to record_policies", () => {
    expect(verify(tampered("policy-removed", "DELETE FROM record_policies WHERE idx = 31 AND policy_id = 'deploy-owners'"))).toMatchObject({
      status: 1,
      failure: { index: 31, table: "record_policies" },
    });
    expect(verify(tampered("policy-added", "INSERT INTO record_policies (policy_id, idx) VALUES ('break-glass', 8)"))).toMatchObject({
      status: 1,
      failure: { index: 8, table: "record_policies", problem: expect.stringMatching(/"break-glass"/) as unknown },
    });
    expect(verify(tampered("policy-stray", "INSERT INTO record_policies (policy_id, idx) VALUES ('deploy-window', 900)"))).toMatchObject({
      status: 1,
      failure: { index: 900 },
    });
  });
});
