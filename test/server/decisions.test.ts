// Every outcome and control through the real HTTP API, each checked against its ledger record and proof.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { call, expectRecorded, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

type Request = Record<string, unknown>;

async function decide(request: Request, headers = server.as.pep): Promise<Decision> {
  const answer = await call<Decision>(server, "POST", "/v1/decisions", headers, request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

const key = (id: string): { credential: string } => ({ credential: server.keys[id] as string });
const readFile = (who: string, path: string, extra: Request = {}): Request => ({ subject: key(who), action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path }, ...extra });

describe("outcomes over HTTP", () => {
  it("allows with POLICY_PERMIT and records the determining policy", async () => {
    const decision = await decide(readFile("research-agent", "/workspace/notes.md"));
    expect(decision).toMatchObject({ outcome: "allow", control: "access", reason_code: "POLICY_PERMIT", note: "Agents may read files under /workspace.", policy: { determining: ["agents-read-workspace"] } });
    const record = await expectRecorded(server, decision);
    expect(record.subject).toMatchObject({ id: "research-agent", type: "agent", owner: "alice", credential: { kind: "api_key" } });
    expect(JSON.stringify(record)).not.toContain("/workspace/notes.md");
    expect(record.commitments).toMatchObject({ args: expect.stringMatching(/^sha256:/) as unknown });
  });

  it("denies with NO_MATCHING_PERMIT when no policy permits", async () => {
    const decision = await decide({ subject: key("support-agent"), action: "delete_records", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
    expect(decision).toMatchObject({ outcome: "deny", control: "access", reason_code: "NO_MATCHING_PERMIT", policy: { determining: [] } });
    expect(decision.note).toMatch(/delete_records/);
    await expectRecorded(server, decision);
  });

  it("denies with POLICY_FORBID when a forbid matches", async () => {
    const decision = await decide(readFile("research-agent", "/workspace/.env"));
    expect(decision).toMatchObject({ outcome: "deny", reason_code: "POLICY_FORBID", note: "No identity may read or write .env files or anything under a secrets directory.", policy: { determining: ["no-credential-files"] } });
    await expectRecorded(server, decision);
  });

  it("denies with INTENT_MISMATCH when the task's intent forbids the action", async () => {
    const decision = await decide({ ...readFile("research-agent", "/workspace/out.md"), action: "write_file", intent: "read-only research" });
    expect(decision).toMatchObject({ outcome: "deny", control: "usage", reason_code: "INTENT_MISMATCH", policy: { determining: ["read-only-intent"] } });
    await expectRecorded(server, decision);
  });

  it("allows with DATA_MASKED and a mask obligation", async () => {
    const decision = await decide({ subject: key("support-agent"), action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } });
    expect(decision).toMatchObject({ outcome: "allow", control: "masking", reason_code: "DATA_MASKED", policy: { determining: ["support-query-customers"] } });
    expect(decision.obligations).toContainEqual({ type: "mask", fields: ["$.customers[*].email"], detectors: ["payment_card"] });
    await expectRecorded(server, decision);
  });

  it("denies with OUTSIDE_TIME_WINDOW on a Saturday", async () => {
    server.clock.set("2026-11-28T11:00:00.000Z");
    try {
      const decision = await decide({ subject: key("release-pipeline"), action: "deploy", resource: { type: "Environment", id: "staging", attributes: { tier: "staging" } } });
      expect(decision).toMatchObject({ outcome: "deny", control: "usage", reason_code: "OUTSIDE_TIME_WINDOW", policy: { determining: ["deploy-window"] } });
      await expectRecorded(server, decision);
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });

  it("refuses a request that names its own time (WHAT_IF_REFUSED), records nothing, and decides at the server's time", async () => {
    const saturday = { subject: key("release-pipeline"), action: "deploy", resource: { type: "Environment", id: "staging", attributes: { tier: "staging" } } };
    server.clock.set("2026-11-28T11:00:00.000Z");
    try {
      const before = server.runtime.ledger.size();
      for (const member of ["at", "now", "time", "what_if"]) {
        const answer = await call<{ code: string; detail: string }>(server, "POST", "/v1/decisions", server.as.pep, { ...saturday, [member]: "2026-11-24T10:00:00Z" });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ code: "WHAT_IF_REFUSED" });
        expect(answer.body.detail).toMatch(/cannot choose/);
      }
      // context.now is Arbiter's to fill in, whatever the caller sends.
      const inContext = await call<{ code: string }>(server, "POST", "/v1/decisions", server.as.pep, { ...saturday, context: { now: { weekday: 2, hour: 10 } } });
      expect(inContext.status).toBe(400);
      expect(server.runtime.ledger.size()).toBe(before);
      expect(await decide(saturday)).toMatchObject({ outcome: "deny", reason_code: "OUTSIDE_TIME_WINDOW" });
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });

  it("rate-limits with RATE_LIMITED and says when to retry", async () => {
    const search = { subject: key("research-agent"), action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } };
    const answers: Decision[] = [];
    for (let i = 0; i < 6; i++) answers.push(await decide(search));
    expect(answers.slice(0, 5).map((d) => d.outcome)).toEqual(["allow", "allow", "allow", "allow", "allow"]);
    expect(answers[4]?.obligations).toContainEqual(expect.objectContaining({ type: "rate", remaining: 0 }));
    const limited = answers[5] as Decision;
    expect(limited).toMatchObject({ outcome: "deny", control: "rate_limit", reason_code: "RATE_LIMITED" });
    expect(limited.retry_after).toBeGreaterThanOrEqual(1);
    expect(limited.note).toMatch(/agent-search/);
    await expectRecorded(server, limited);
    server.clock.advance(60);
    expect((await decide(search)).outcome).toBe("allow");
  });

  it("challenges with STEP_UP_REQUIRED without a fresh MFA login, and allows with one", async () => {
    const rotate = { action: "rotate_secret", resource: { type: "Secret", id: "db-password", attributes: { environment: "production" } } };
    const stale = await decide({ subject: { id: "alice" }, ...rotate });
    expect(stale).toMatchObject({ outcome: "challenge", control: "step_up", reason_code: "STEP_UP_REQUIRED", step_up: { max_auth_age: 300, acr: "mfa" }, policy: { determining: ["rotate-needs-fresh-mfa"] } });
    await expectRecorded(server, stale);
    const fresh = await decide({ subject: { id: "alice", authenticated_at: new Date(Date.parse("2026-11-24T10:00:00.000Z") - 60_000).toISOString(), acr: "mfa" }, ...rotate });
    expect(fresh).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT", policy: { determining: ["platform-rotates-secrets"] } });
    await expectRecorded(server, fresh);
  });
});
