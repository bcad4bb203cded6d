// The console's server side: the built SPA under a strict CSP, a clear 503 when it is not built, /v1/session,
// the decision filters and counts the console uses, and the "verify now" job.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { openGateways } from "../../src/runtime/gateways.js";
import { loadSettings } from "../../src/runtime/settings/index.js";
import { buildServer } from "../../src/server/index.js";
import { CONSOLE_CSP } from "../../src/server/console.js";
import { tempDir } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";
import { itOnSqlite } from "../support/data-dir.js";

let server: TestServer;
let auditor: Record<string, string>;

beforeAll(async () => {
  server = await startTestServer();
  const seeder = { id: "test-seeder", type: "human" as const };
  await server.runtime.identities.create({ id: "ada", type: "human", roles: ["auditor"] }, seeder);
  auditor = { authorization: `Bearer ${(await server.runtime.identities.issueApiKey("ada", seeder)).key}` };
});

async function decide(subject: string, action: string, resource: Record<string, unknown>): Promise<Decision> {
  const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, { subject: { credential: server.keys[subject] }, action, resource });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe("the console's files", () => {
  it("serves index.html and its assets with a CSP that admits no inline script, nosniff and no framing", async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(page.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe-inline");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    const html = await page.text();
    // Every script has a src: nothing inline for the CSP to refuse.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const script = /<script[^>]*src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(asset.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
  });

  it("answers an unknown file with a 404 problem, and a path trick finds nothing", async () => {
    for (const path of ["/assets/nope.js", "/assets/..%2f..%2fpackage.json", "/assets/index.html", "/assets/favicon.svg", "/nope.html"]) {
      const answer = await fetch(`${server.url}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.headers.get("content-type"), path).toContain("application/problem+json");
    }
  });

  it("says how to build the console when it is not built, with a 503 page instead of a crash", async () => {
    const gateways = openGateways(server.runtime, loadSettings({ dir: server.dir, env: {} }).settings);
    const app = await buildServer(gateways, { logLevel: "silent", console: { dir: join(tempDir(), "no-console") } });
    try {
      const answer = await app.inject({ method: "GET", url: "/" });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(answer.body).toContain("npm run build");
      expect(answer.headers["content-security-policy"]).toBe(CONSOLE_CSP);
      expect((await app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
    } finally {
      await app.close();
      await gateways.close();
    }
  });
});

describe("GET /v1/session", () => {
  it("names the operator and the console roles it holds", async () => {
    expect((await call(server, "GET", "/v1/session", auditor)).body).toEqual({ id: "ada", type: "human", status: "active", roles: ["auditor"] });
    expect((await call(server, "GET", "/v1/session", server.as.approver)).body).toMatchObject({ id: "bob", roles: ["approver"] });
  });

  it("refuses no credential, a wrong one, a forged header and a PEP", async () => {
    expect((await call(server, "GET", "/v1/session", {})).status).toBe(401);
    expect((await call(server, "GET", "/v1/session", { authorization: "Bearer arb_not_a_key" })).status).toBe(401);
    expect((await call(server, "GET", "/v1/session", { authorization: `Basic ${server.keys.carol}` })).status).toBe(401);
    expect((await call(server, "GET", "/v1/session", { "x-arbiter-subject": "carol" })).status).toBe(401);
    const pep = await call(server, "GET", "/v1/session", server.as.pep);
    expect(pep.status).toBe(403);
    expect(pep.body).toMatchObject({ reason_code: "ROLE_REQUIRED" });
  });
});

describe("the console's decision filters and counts", () => {
  it("filters by the subject's identity type and owner as recorded, and counts by bucket, outcome and control", async () => {
    await decide("support-agent", "query_customers", { type: "Dataset", id: "crm", attributes: { classification: "internal" } });
    await decide("support-agent", "delete_records", { type: "Dataset", id: "crm", attributes: { classification: "internal" } });
    await decide("erin-pipeline", "deploy", { type: "Environment", id: "staging", attributes: { tier: "staging" } });

    type Page = { decisions: { subject: { id: string; type: string; owner?: string } }[] };
    const agents = await call<Page>(server, "GET", "/v1/decisions?subject_type=agent", auditor);
    expect(agents.status).toBe(200);
    expect(agents.body.decisions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(agents.body.decisions.map((d) => d.subject.type))).toEqual(new Set(["agent"]));
    const erins = await call<Page>(server, "GET", "/v1/decisions?owner=erin", auditor);
    expect(erins.body.decisions.map((d) => d.subject.id)).toEqual(["erin-pipeline"]);
    expect((await call<Page>(server, "GET", "/v1/decisions?owner=erin&subject_type=agent", auditor)).body.decisions).toEqual([]);

    const stats = await call<{ bucket: string; counts: { bucket: string; outcome: string; control: string | null; count: number }[] }>(server, "GET", "/v1/decisions/stats?subject=support-agent&bucket=hour", auditor);
    expect(stats.status).toBe(200);
    expect(stats.body.bucket).toBe("hour");
    const total = (outcome: string): number => stats.body.counts.filter((c) => c.outcome === outcome).reduce((n, c) => n + c.count, 0);
    expect(total("allow")).toBe(1);
    expect(total("deny")).toBe(1);
    expect(stats.body.counts.every((c) => c.bucket === "2026-11-24T10")).toBe(true);
  });

  it("refuses a bad bucket, an unknown parameter and a caller without the role", async () => {
    expect((await call(server, "GET", "/v1/decisions/stats?bucket=second", auditor)).status).toBe(400);
    expect((await call(server, "GET", "/v1/decisions/stats?owner_id=x", auditor)).status).toBe(400);
    expect((await call(server, "GET", "/v1/decisions/stats", server.as.approver)).status).toBe(403);
    expect((await call(server, "GET", "/v1/decisions/stats", {})).status).toBe(401);
  });
});

describe("verify now", () => {
  type Job = { id: string; state: string; checked: number; total: number; result: { ok: boolean; entries: number } | null };

  it("runs a full verify on a worker and reports progress and the result", async () => {
    const started = await call<Job>(server, "POST", "/v1/log/verify", auditor);
    expect(started.status).toBe(202);
    expect(started.body.state).toBe("running");
    let job = started.body;
    for (let i = 0; i < 200 && job.state === "running"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      job = (await call<Job>(server, "GET", `/v1/log/verify/${started.body.id}`, auditor)).body;
    }
    expect(job.state).toBe("verified");
    expect(job.result?.ok).toBe(true);
    expect(job.result?.entries).toBe(server.runtime.ledger.size());
    expect(job.checked).toBe(job.total);
  });

  it("shares a running job with a second request, and refuses approvers, PEPs and strangers", async () => {
    const first = await call<Job>(server, "POST", "/v1/log/verify", auditor);
    const second = await call<Job>(server, "POST", "/v1/log/verify", server.as.admin);
    if (second.status === 200) expect(second.body.id).toBe(first.body.id);
    else expect(second.status).toBe(202);
    expect((await call(server, "POST", "/v1/log/verify", server.as.approver)).status).toBe(403);
    expect((await call(server, "POST", "/v1/log/verify", server.as.pep)).status).toBe(403);
    expect((await call(server, "POST", "/v1/log/verify", {})).status).toBe(401);
    expect((await call(server, "GET", "/v1/log/verify/not-a-uuid", auditor)).status).toBe(400);
    expect((await call(server, "GET", "/v1/log/verify/00000000-0000-4000-8000-000000000000", auditor)).status).toBe(404);
  });
});

describe("schema 9's backfill", () => {
  itOnSqlite("fills the subject type and owner of existing decisions exactly as appends write them", async () => {
    const Database = (await import("better-sqlite3")).default;
    const { SUBJECT_COLUMNS_BACKFILL } = await import("../../src/store/sqlite/migrations/009-console.js");
    // Enough entries that decisions sit at indexes with 0 to 3+ trailing one bits (leaves after 1 to 4+ stored hashes).
    for (let i = 0; i < 9; i++) await decide(i % 2 ? "research-agent" : "release-pipeline", "read_file", { type: "Tool", id: "filesystem/read_file" });
    const db = new Database(join(server.dir, "arbiter.db"));
    try {
      const columns = (): unknown[] => db.prepare("SELECT idx, subject_type, subject_owner FROM record_index WHERE kind = 'decision' ORDER BY idx").all();
      const written = columns();
      expect(written.length).toBeGreaterThan(9);
      expect(written).toContainEqual(expect.objectContaining({ subject_type: "agent", subject_owner: "alice" }));
      db.exec("UPDATE record_index SET subject_type = NULL, subject_owner = NULL");
      db.exec(SUBJECT_COLUMNS_BACKFILL);
      expect(columns()).toEqual(written);
      expect(db.prepare("SELECT count(*) AS n FROM record_index WHERE kind != 'decision' AND subject_type IS NOT NULL").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe("the call an approval request would allow", () => {
  it("shows approvers the arguments with credentials and detected values masked; a PEP polling gets the state only", async () => {
    const held = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, {
      subject: { credential: server.keys["release-pipeline"] },
      action: "deploy",
      resource: { type: "Environment", id: "production", attributes: { tier: "production" } },
      args: { version: "1.4.2", api_token: "hunter2", note: "card 4111 1111 1111 1111" },
    });
    expect(held.body.reason_code).toBe("APPROVAL_REQUIRED");
    const id = held.body.approval_request?.id as string;
    type Shown = { id: string; call?: { arguments?: Record<string, string>; masked_values?: number } };
    const one = await call<Shown>(server, "GET", `/v1/approvals/${id}`, server.as.approver);
    expect(one.body.call).toEqual({ arguments: { version: "1.4.2", api_token: "[MASKED:secret]", note: "card [MASKED:payment_card]" }, masked_values: 2 });
    const listed = await call<{ approvals: Shown[] }>(server, "GET", "/v1/approvals?state=pending", auditor);
    expect(listed.body.approvals.find((a) => a.id === id)?.call?.arguments?.api_token).toBe("[MASKED:secret]");
    expect(JSON.stringify(listed.body)).not.toContain("hunter2");
    const polled = await call<Shown>(server, "GET", `/v1/approvals/${id}`, server.as.pep);
    expect(polled.status).toBe(200);
    expect(polled.body.call).toBeUndefined();
  });
});
