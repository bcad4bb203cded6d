// The shipped examples as examples/README.md uses them: the sample access log through `arbiter link`, the ledger entries through `log append`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareDemo } from "../../src/runtime/demo.js";
import { arbiter, ROOT, tempDir } from "../support/cli.js";

const EXAMPLES = join(ROOT, "examples");
const ACCESS_LOG = join(EXAMPLES, "access-log.jsonl");
const SAMPLE_ALLOWED = "01a20cff-80b6-7a3c-9d2e-5f4b8c1a0e71";
const SAMPLE_REFUSED = "01a20cff-866a-7b41-8c03-2e9d7f6a4b58";

const root = tempDir("arbiter-link-sample-");
const data = join(root, "data");

function run(args: string[]) {
  return arbiter([...args, "--data", data], { env: { ARBITER_ACTOR: "carol" } });
}

beforeAll(async () => {
  await prepareDemo(data);
});

describe("examples/access-log.jsonl", () => {
  it("is read whole by `arbiter link --format nginx`; against a fresh demo nothing links and the forwarded requests are findings", () => {
    const result = run(["link", "--source", ACCESS_LOG, "--format", "nginx", "--no-report"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.slice(1, 4)).toEqual([
      "coverage 0.0%: 0 of 3 event(s) linked (decision_id 0, trace_id 0, credential 0, subject_action_resource 0)",
      "1 unlinked event(s) were refused by the source itself (no finding)",
      "findings: UNLINKED_ACTION 2",
    ]);
    expect(lines[4]).toMatch(new RegExp(`^ {2}UNLINKED_ACTION {2}access-log\\.jsonl:1 {2}No decision explains GET /datasets/crm/customers .* The event names decision ${SAMPLE_ALLOWED}, which is not in the ledger\\.$`));
    expect(lines[5]).toMatch(/^ {2}UNLINKED_ACTION {2}access-log\.jsonl:3 {2}No decision explains DELETE \/datasets\/crm\/records\/43 .* by anonymous /);
    expect(result.stdout).not.toMatch(/skipped/);
  });

  it("links its first two requests once their ids are decisions of this data directory, as examples/README.md shows", () => {
    const id = (action: string): string => {
      const decided = run(["decide", "--subject", "support-agent", "--action", action, "--resource", "Dataset::crm", "--resource-attr", "classification=internal", "--json"]);
      return (JSON.parse(decided.stdout) as { decision_id: string }).decision_id;
    };
    const allowed = id("query_customers");
    const refused = id("delete_records");
    const log = join(root, "access.log");
    writeFileSync(log, readFileSync(ACCESS_LOG, "utf8").replaceAll(SAMPLE_ALLOWED, allowed).replaceAll(SAMPLE_REFUSED, refused));
    const result = run(["link", "--source", log, "--format", "nginx", "--no-report"]);
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.slice(1, 3)).toEqual(["coverage 66.7%: 2 of 3 event(s) linked (decision_id 2, trace_id 0, credential 0, subject_action_resource 0)", "findings: UNLINKED_ACTION 1"]);
    expect(lines[3]).toMatch(/^ {2}UNLINKED_ACTION {2}access\.log:3 {2}No decision explains DELETE \/datasets\/crm\/records\/43 /);
    expect(lines).toHaveLength(5);
  });
});

describe("examples/ledger-entries.jsonl", () => {
  it("is records for `log append`, not an outside log: `link` says no event could be read", () => {
    const appended = run(["log", "append", join(EXAMPLES, "ledger-entries.jsonl")]);
    expect(appended.status).toBe(0);
    expect(appended.stdout.trim().split("\n")).toHaveLength(3);
    const linked = run(["link", "--source", join(EXAMPLES, "ledger-entries.jsonl"), "--format", "jsonl", "--no-report"]);
    expect(linked.status).toBe(1);
    expect(linked.stderr).toMatch(/^arbiter: no jsonl event could be read from .*ledger-entries\.jsonl; is --format right\?/);
  });
});

describe("examples/README.md", () => {
  it("says what each example is", () => {
    const readme = readFileSync(join(EXAMPLES, "README.md"), "utf8");
    for (const entry of readdirSync(EXAMPLES).filter((name) => name !== "README.md")) expect(readme).toContain(`| \`${entry}${entry.includes(".") ? "" : "/"}\` |`);
  });
});
