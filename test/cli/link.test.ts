// End to end through the real CLI: `arbiter link` over a log, coverage and findings printed, reports written, --fail-on for CI.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { arbiter, tempDir } from "../support/cli.js";
import { TEST_CALLER } from "../support/server.js";

const root = tempDir("arbiter-link-cli-");
const data = join(root, "data");
const POLICIES = join(import.meta.dirname, "..", "fixtures", "linkage", "policies");
const K8S = join(import.meta.dirname, "..", "fixtures", "linkage", "k8s", "audit.jsonl");
const TRACE = "0af7651916cd43dd8448eb211c80319c";
let log = "";

function run(args: string[]) {
  return arbiter([...args, "--data", data], { env: { ARBITER_ACTOR: "carol" } });
}

beforeAll(async () => {
  initDataDir(data, { origin: "test.arbiter.example/link-cli" });
  const runtime = openRuntime(data, { checkpointIntervalMs: 0 });
  const seeder = { id: "seeder", type: "human" as const };
  try {
    await runtime.identities.create({ id: "alice", type: "human" }, seeder);
    await runtime.identities.create({ id: "support-agent", type: "agent", owner: "alice" }, seeder);
    await runtime.policies.activate(loadPolicyDir(POLICIES), seeder);
    const { key } = await runtime.identities.issueApiKey("support-agent", seeder);
    const decision = await runtime.engine.decide({ subject: { credential: key }, action: "GET /v1/orders", resource: { type: "Order", id: "o-7" }, correlation: { trace_id: TRACE } }, TEST_CALLER);
    const lines = [
      { time: decision.time, subject: "support-agent", action: "GET /v1/orders", resource: "o-7", status: 200, headers: { "x-arbiter-decision-id": decision.decision_id, traceparent: `00-${TRACE}-00f067aa0ba902b7-01` } },
      { time: decision.time, subject: "support-agent", action: "DELETE /v1/orders", resource: "o-7", status: 204 },
    ];
    log = join(root, "orders-access.jsonl");
    writeFileSync(log, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  } finally {
    await runtime.close();
  }
});

describe("arbiter link", () => {
  it("prints coverage and findings and writes the JSON and HTML report, making the report directory", () => {
    const reports = join(root, "reports", "nightly");
    const result = run(["link", "--source", log, "--format", "jsonl", "--out", reports]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^linkage run lnk_\S+ over .*orders-access\.jsonl \(jsonl\)$/m);
    expect(result.stdout).toContain("coverage 50.0%: 1 of 2 event(s) linked (decision_id 1, trace_id 0, credential 0, subject_action_resource 0)");
    expect(result.stdout).toMatch(/^findings: UNLINKED_ACTION 1$/m);
    expect(result.stdout).toMatch(/^ {2}UNLINKED_ACTION {2}orders-access\.jsonl:2 {2}No decision explains DELETE \/v1\/orders on o-7/m);
    const runId = /linkage run (lnk_\S+)/.exec(result.stdout)?.[1] as string;
    const report = JSON.parse(readFileSync(join(reports, `arbiter-link-${runId}.json`), "utf8")) as { summary: { coverage: number }; findings: { code: string }[] };
    expect(report.summary.coverage).toBe(0.5);
    expect(report.findings.map((f) => f.code)).toEqual(["UNLINKED_ACTION"]);
    expect(readFileSync(join(reports, `arbiter-link-${runId}.html`), "utf8")).toMatch(/^<!doctype html>[\s\S]*50\.0%[\s\S]*UNLINKED_ACTION/);

    const shown = run(["link", "show", runId]);
    expect(shown.stdout).toContain("coverage 50.0%");
    expect(run(["link", "runs"]).stdout).toMatch(new RegExp(`^${runId}  done  jsonl  .*1/2 linked, 1 finding\\(s\\)$`, "m"));
  });

  it("exits 1 for CI when a --fail-on finding occurs, and prints JSON with --json", () => {
    const result = run(["link", "--source", log, "--format", "jsonl", "--no-report", "--fail-on", "EXECUTED_DESPITE_DENY,UNLINKED_ACTION", "--json"]);
    expect(result.status).toBe(1);
    const summary = JSON.parse(result.stdout) as { findings: Record<string, number>; report_files: string[] };
    expect(summary).toMatchObject({ findings: { UNLINKED_ACTION: 1 }, report_files: [] });
    expect(run(["link", "--source", log, "--format", "jsonl", "--no-report", "--fail-on", "EXECUTED_DESPITE_DENY"]).status).toBe(0);
  });

  it("refuses unknown finding codes and formats and an unwritable --out before running, and says when nothing in the file matched the format", () => {
    const badCode = run(["link", "--source", log, "--format", "jsonl", "--fail-on", "POLICY_PERMIT"]);
    expect(badCode.status).toBe(2);
    expect(badCode.stderr).toMatch(/--fail-on takes finding codes/);
    expect(run(["link", "--source", log, "--format", "syslog"]).status).toBe(2);
    const noMap = run(["link", "--source", log, "--format", "jsonl", "--map", join(root, "missing-mapping.yaml")]);
    expect(noMap.status).toBe(2);
    expect(noMap.stderr).toMatch(/^arbiter: cannot read .*missing-mapping\.yaml: no such file or directory \[USAGE\]$/m);
    const runsBefore = run(["link", "runs", "--json"]).stdout;
    const badOut = run(["link", "--source", log, "--format", "jsonl", "--out", join(log, "reports")]);
    expect(badOut.status).toBe(2);
    expect(badOut.stderr).toMatch(/--out .*cannot write reports there/);
    expect(run(["link", "runs", "--json"]).stdout).toBe(runsBefore);
    const wrong = run(["link", "--source", K8S, "--format", "ocsf", "--no-report"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain("skipped 5 line(s): wrong_format 5");
    expect(wrong.stderr).toContain("no ocsf event could be read");
  });

  it("tells the story of a trace", () => {
    const result = run(["link", "trace", TRACE, "--json"]);
    expect(result.status, result.stderr).toBe(0);
    const story = JSON.parse(result.stdout) as { steps: { kind: string; by: string }[] };
    expect(story.steps.map((s) => s.kind)).toEqual(["decision", "outside_event"]);
    expect(existsSync(join(root, "data"))).toBe(true);
  });
});
