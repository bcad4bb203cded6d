// `arbiter serve --demo`, `decide`, `explain`, `approvals` and `breakglass` through the real CLI.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, spawnArbiter, tempDir } from "../support/cli.js";

const work = tempDir();
const data = join(work, "data");

/** A policy set whose approval gate does not depend on the time of day, so the test does not either. */
function writeGatePolicies(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "schema.cedarschema"), `entity Environment { tier: String };\naction deploy appliesTo { principal: [Pipeline], resource: [Environment] };\n`);
  writeFileSync(
    join(dir, "deploy.cedar"),
    `@id("pipelines-deploy")\n@note("Release pipelines may deploy.")\npermit (principal in Group::"release-pipelines", action == Action::"deploy", resource);\n\n` +
      `@id("prod-approval")\n@reason("APPROVAL_REQUIRED")\n@note("Production deploys need a release approver.")\n@approver_role("release-approver")\nforbid (principal, action == Action::"deploy", resource) when { resource.tier == "production" };\n\n` +
      `@id("oncall-break-glass")\n@note("On-call people may break glass.")\npermit (principal in Group::"oncall", action == Action::"break_glass", resource);\n`,
  );
}

function json<T>(args: string[]): { status: number | null; body: T; stderr: string } {
  const result = arbiter([...args, "--json", "--data", data]);
  return { status: result.status, body: JSON.parse(result.stdout) as T, stderr: result.stderr };
}

describe("arbiter serve --demo", () => {
  it("initialises the sample data, serves decisions, and stops cleanly on SIGTERM", async () => {
    const child = spawnArbiter(["serve", "--demo", "--port", "0", "--log-level", "warn", "--data", data]);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // The greeting (demo credentials) follows the "serving" line in writes of its own: wait for both.
    for (let i = 0; i < 200 && !/mcp-gateway \(enforcement point: pep\): arb_/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /serving (http:\S+)/.exec(out)?.[1] as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toMatch(/mcp-gateway \(enforcement point: pep\): arb_/);
    const keys = (JSON.parse(readFileSync(join(data, "demo-credentials.json"), "utf8")) as { api_keys: Record<string, string> }).api_keys;
    const answer = await fetch(`${url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys["mcp-gateway"]}`, "content-type": "application/json" },
      body: JSON.stringify({ subject: { credential: keys["support-agent"] }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } }),
    });
    expect(await answer.json()).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(arbiter(["log", "verify", "--data", data]).status).toBe(0);
  });
});

describe("decisions from the command line", () => {
  beforeAll(() => {
    const policies = join(work, "gate-policies");
    writeGatePolicies(policies);
    expect(arbiter(["policy", "activate", policies, "--data", data]).status).toBe(0);
  });

  it("holds a production deploy for approval, approves it, lets the call through and explains it", () => {
    const deploy = ["decide", "--subject", "release-pipeline", "--action", "deploy", "--resource", "Environment::production", "--resource-attr", "tier=production", "--args", '{"version":"7"}'];
    const held = json<{ outcome: string; reason_code: string; decision_id: string; approval_request: { id: string } }>(deploy);
    expect(held.status).toBe(1);
    expect(held.body).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });

    const pending = json<{ approvals: { id: string }[] }>(["approvals", "list"]);
    expect(pending.body.approvals.map((a) => a.id)).toContain(held.body.approval_request.id);
    const refused = arbiter(["approvals", "approve", held.body.approval_request.id, "--as", "carol", "--justification", "looks fine", "--data", data]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/lacks the approver role \[APPROVAL_NOT_ALLOWED\]/);
    const approved = json<{ grant: { id: string } }>(["approvals", "approve", held.body.approval_request.id, "--as", "bob", "--justification", "CAB-9 approved"]);
    expect(approved.status).toBe(0);

    const allowed = json<{ outcome: string; reason_code: string; decision_id: string; grant: { id: string } }>(deploy);
    expect(allowed.status).toBe(0);
    expect(allowed.body).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED", grant: { id: approved.body.grant.id } });

    const explained = arbiter(["explain", allowed.body.decision_id, "--data", data]);
    expect(explained.status).toBe(0);
    expect(explained.stdout).toMatch(/^Allowed by pipelines-deploy, prod-approval/);
    expect(explained.stdout).toMatch(/policy prod-approval \(forbid, APPROVAL_REQUIRED, approval\)/);
    expect(explained.stdout).toMatch(/c2sp\.org\/tlog-proof@v1/);
    // The approval behind the grant, who gave it, when and why; the grant and what is left of it.
    const requestId = held.body.approval_request.id;
    expect(explained.stdout).toMatch(new RegExp(`\\napproval ${requestId}: approved by bob at \\d{4}-[^ ]+Z: "CAB-9 approved" \\(opened by decision [0-9A-Za-z_-]+ at [^)]+\\)\\n`));
    expect(explained.stdout).toContain(`\ngrant ${approved.body.grant.id}: used, 0 use(s) left, expires `);
    expect(explained.stdout).toContain("\nenforcement: none reported\n");
    // Related records whole: the approval records of the request, down to their last field.
    const related = explained.stdout.split("\n").filter((l) => l.startsWith("related #"));
    expect(related.map((l) => /^related #\d+: (\w+) /.exec(l)?.[1])).toEqual(["approval", "approval"]);
    for (const line of related) expect(JSON.parse(line.slice(line.indexOf("{")))).toMatchObject({ kind: "approval", request_id: requestId });
    expect(related[1]).toContain('"justification":"CAB-9 approved"');

    // What the enforcement point reported is shown too.
    const report = JSON.stringify({ kind: "enforcement", decision_id: allowed.body.decision_id, status: "executed", pep: { id: "deploy-runner", kind: "external" }, duration_ms: 12 });
    expect(arbiter(["log", "append", "-", "--data", data], { input: `${report}\n` }).status).toBe(0);
    const reported = arbiter(["explain", allowed.body.decision_id, "--data", data]);
    expect(reported.stdout).toMatch(/\nenforcement #\d+: executed by deploy-runner in 12 ms\n/);

    const whole = json<{ approval: Record<string, unknown>; grant: Record<string, unknown>; related: { record: { kind: string } }[] }>(["explain", allowed.body.decision_id]);
    expect(whole.body.approval).toMatchObject({ id: requestId, state: "approved", approver: "bob", justification: "CAB-9 approved", decision_id: held.body.decision_id });
    expect(whole.body.grant).toMatchObject({ id: approved.body.grant.id, state: "used", uses_remaining: 0, approval_id: requestId });
    expect(whole.body.related.map((r) => r.record.kind)).toEqual(["approval", "approval", "enforcement"]);

    // The challenge that opened the request shows the same approval and grant.
    const challenge = json<{ approval: Record<string, unknown>; grant: Record<string, unknown> }>(["explain", held.body.decision_id]);
    expect(challenge.body).toMatchObject({ approval: { id: requestId, state: "approved" }, grant: { id: approved.body.grant.id } });
  });

  it("prints only ids for shell variables: decide --print-id and approvals list --ids", () => {
    const deploy = ["decide", "--subject", "release-pipeline", "--action", "deploy", "--resource", "Environment::production", "--resource-attr", "tier=production", "--args", '{"version":"8"}', "--data", data];
    const held = arbiter([...deploy, "--print-id"]);
    // The exit status still says the outcome: a challenge is not an allow.
    expect(held.status).toBe(1);
    expect(held.stdout).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}\n$/);
    const decisionId = held.stdout.trim();
    const opened = json<{ decision: { id: string }; approval: { id: string } }>(["explain", decisionId]);
    expect(opened.body.decision.id).toBe(decisionId);

    const ids = arbiter(["approvals", "list", "--ids", "--data", data]);
    expect(ids.status).toBe(0);
    const listed = json<{ approvals: { id: string }[] }>(["approvals", "list"]);
    expect(ids.stdout).toBe(listed.body.approvals.map((a) => `${a.id}\n`).join(""));
    expect(ids.stdout.split("\n")).toContain(opened.body.approval.id);
    expect(arbiter(["approvals", "list", "--ids", "--state", "expired", "--data", data]).stdout).toBe("");

    for (const [args, message] of [
      [["approvals", "list", "--ids", "--json"], /--ids and --json are two outputs/],
      [[...deploy, "--print-id", "--json"], /--print-id .* does not go with --json or --at/],
      [[...deploy, "--print-id", "--at", "2025-01-11T10:00:00Z"], /--print-id .* does not go with --json or --at/],
    ] as const) {
      const refused = arbiter([...args, "--data", data]);
      expect(refused.status).toBe(2);
      // With --json the error itself is JSON on stdout; either way no id is printed.
      expect(refused.stdout + refused.stderr).toMatch(message);
      expect(refused.stdout).not.toMatch(/apr_|^[0-9a-f]{8}-/);
    }
    // Refused before deciding: no further approval request was opened.
    expect(json<{ approvals: unknown[] }>(["approvals", "list"]).body.approvals).toHaveLength(listed.body.approvals.length);
  });

  it("opens, uses, lists and reviews a break-glass session", () => {
    const attempt = ["decide", "--subject", "dave", "--action", "deploy", "--resource", "Environment::staging", "--resource-attr", "tier=staging"];
    expect(arbiter([...attempt, "--data", data]).status).toBe(1);
    const opened = json<{ session: { id: string } }>(["breakglass", "start", "--identity", "dave", "--justification", "INC-12: staging is down, redeploy now", "--duration", "30m"]);
    expect(opened.status).toBe(0);
    const overridden = json<{ outcome: string; reason_code: string }>(attempt);
    expect(overridden.body).toMatchObject({ outcome: "allow", reason_code: "BREAK_GLASS" });
    const listed = json<{ sessions: { id: string; review: unknown; decisions: number }[] }>(["breakglass", "list", "--unreviewed"]);
    expect(listed.body.sessions).toContainEqual(expect.objectContaining({ id: opened.body.session.id, review: null, decisions: 1 }));
    expect(arbiter(["breakglass", "review", opened.body.session.id, "--note", "redeploy only", "--actor", "carol", "--data", data]).status).toBe(0);
    expect(json<{ sessions: unknown[] }>(["breakglass", "list", "--unreviewed"]).body.sessions).toEqual([]);
  });

  it("refuses a malformed request with a usage error", () => {
    const result = arbiter(["decide", "--subject", "dave", "--action", "deploy", "--resource", "staging", "--data", data]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--resource must be TYPE::ID/);
  });
});
