// Approval gates, JIT grants and break-glass through the HTTP API.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { call, expectRecorded, startTestServer, TEST_CALLER, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

const deployProd = (who: string, args: unknown = { version: "1.4.2" }) => ({
  subject: { credential: server.keys[who] as string },
  action: "deploy",
  resource: { type: "Environment", id: "production", attributes: { tier: "production" } },
  args,
});

async function decide(request: Record<string, unknown>): Promise<Decision> {
  const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe("approval gates", () => {
  it("holds a production deploy for approval, then lets exactly that call through once", async () => {
    const held = await decide(deployProd("release-pipeline"));
    expect(held).toMatchObject({ outcome: "challenge", control: "approval", reason_code: "APPROVAL_REQUIRED", policy: { determining: ["production-approval"] } });
    expect(held.note).toMatch(/needs the approval of a release approver/);
    await expectRecorded(server, held);
    const requestId = held.approval_request?.id as string;
    expect(requestId).toMatch(/^apr_/);

    const again = await decide(deployProd("release-pipeline"));
    expect(again.approval_request?.id).toBe(requestId);

    const pending = await call<{ approvals: { id: string; requester: { id: string } }[] }>(server, "GET", "/v1/approvals?state=pending", server.as.approver);
    expect(pending.body.approvals.map((a) => a.id)).toContain(requestId);

    const approved = await call<{ grant: { id: string; uses_remaining: number } }>(server, "POST", `/v1/approvals/${requestId}/approve`, server.as.approver, { justification: "release 1.4.2 reviewed in CAB-118" });
    expect(approved.status).toBe(200);
    const grantId = approved.body.grant.id;

    const changed = await decide(deployProd("release-pipeline", { version: "1.4.3" }));
    expect(changed).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
    expect(changed.approval_request?.id).not.toBe(requestId);

    const allowed = await decide(deployProd("release-pipeline"));
    expect(allowed).toMatchObject({ outcome: "allow", control: "approval", reason_code: "APPROVAL_GRANTED", grant: { id: grantId, uses_remaining: 0 }, approval: { request_id: requestId, approver: "bob" } });
    expect(allowed.policy.determining).toEqual(expect.arrayContaining(["production-approval", "pipelines-deploy"]));
    expect(allowed.obligations).toContainEqual({ type: "grant_use", grant_id: grantId });
    const record = await expectRecorded(server, allowed);
    expect(record).toMatchObject({ reason_code: "APPROVAL_GRANTED", grant: { id: grantId }, approval: { request_id: requestId, approver: "bob" } });

    const used = await decide(deployProd("release-pipeline"));
    expect(used).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });

    const explained = await call<{ related: { kind: string; state?: string }[] }>(server, "GET", `/v1/decisions/${held.decision_id}`, server.as.admin);
    expect(explained.body.related).toContainEqual(expect.objectContaining({ kind: "approval", state: "requested" }));
  });

  it("denies the retried call after an approver denies the request", async () => {
    const held = await decide(deployProd("release-pipeline", { version: "2.0.0" }));
    const requestId = held.approval_request?.id as string;
    const denied = await call(server, "POST", `/v1/approvals/${requestId}/deny`, server.as.approver, { justification: "not during the freeze" });
    expect(denied.body).toMatchObject({ state: "denied", approver: "bob" });
    const retry = await decide(deployProd("release-pipeline", { version: "2.0.0" }));
    expect(retry).toMatchObject({ outcome: "deny", control: "approval", reason_code: "APPROVAL_DENIED" });
    await expectRecorded(server, retry);
    expect(retry.note).toMatch(/not during the freeze/);
  });

  it("refuses approval by the requester's owner and by someone without the approver role", async () => {
    const held = await decide(deployProd("erin-pipeline", { version: "9" }));
    const requestId = held.approval_request?.id as string;
    const byOwner = await call(server, "POST", `/v1/approvals/${requestId}/approve`, server.as.erin, { justification: "my own pipeline" });
    expect(byOwner).toMatchObject({ status: 403, body: { code: "APPROVAL_NOT_ALLOWED" } });
    expect(String(byOwner.body.detail)).toMatch(/owns the requester/);
    const byAdmin = await call(server, "POST", `/v1/approvals/${requestId}/approve`, server.as.admin, { justification: "admin override" });
    expect(byAdmin).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
  });

  it("lets an approval request expire", async () => {
    const held = await decide(deployProd("release-pipeline", { version: "3.0.0" }));
    server.clock.advance(3601);
    try {
      const late = await call(server, "POST", `/v1/approvals/${held.approval_request?.id}/approve`, server.as.approver, { justification: "too late" });
      expect(late).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
      expect(String(late.body.detail)).toMatch(/expired/);
      const listed = async (state: string) => (await call<{ approvals: { id: string; state: string }[] }>(server, "GET", `/v1/approvals?state=${state}`, server.as.approver)).body.approvals;
      expect((await listed("expired")).map((a) => a.id)).toContain(held.approval_request?.id);
      expect((await listed("expired")).every((a) => a.state === "expired")).toBe(true);
      expect((await listed("pending")).map((a) => a.id)).not.toContain(held.approval_request?.id);
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });
});

describe("JIT grants", () => {
  it("lists a grant past its expiry as expired, not issued", async () => {
    const held = await decide(deployProd("release-pipeline", { version: "4.0.0" }));
    const approved = await call<{ grant: { id: string } }>(server, "POST", `/v1/approvals/${held.approval_request?.id}/approve`, server.as.approver, { justification: "release 4.0.0 reviewed" });
    const grantId = approved.body.grant.id;
    const listed = async (state: string) => (await call<{ grants: { id: string; state: string }[] }>(server, "GET", `/v1/grants?state=${state}`, server.as.admin)).body.grants.map((g) => `${g.id} ${g.state}`);
    expect(await listed("issued")).toContain(`${grantId} issued`);
    server.clock.advance(7 * 86400);
    try {
      expect(await listed("issued")).not.toContain(`${grantId} issued`);
      expect(await listed("expired")).toContain(`${grantId} expired`);
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });

  it("revokes an issued grant with a record naming who revoked it; a second revocation is a conflict", async () => {
    const held = await decide(deployProd("release-pipeline", { version: "4.1.0" }));
    const approved = await call<{ grant: { id: string } }>(server, "POST", `/v1/approvals/${held.approval_request?.id}/approve`, server.as.approver, { justification: "release 4.1.0 reviewed" });
    const grantId = approved.body.grant.id;
    const revoked = await call(server, "POST", `/v1/grants/${grantId}/revoke`, server.as.approver);
    expect(revoked).toMatchObject({ status: 200, body: { id: grantId, state: "revoked" } });
    const again = await call(server, "POST", `/v1/grants/${grantId}/revoke`, server.as.approver);
    expect(again).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
    const missing = await call(server, "POST", "/v1/grants/grt_nope/revoke", server.as.approver);
    expect(missing).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    const byPep = await call(server, "POST", `/v1/grants/${grantId}/revoke`, server.as.pep);
    expect(byPep).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
    const retry = await decide(deployProd("release-pipeline", { version: "4.1.0" }));
    expect(retry).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
  });
});

describe("break-glass", () => {
  const deleteRecords = { subject: { id: "dave" }, action: "delete_records", resource: { type: "Dataset", id: "orders", attributes: { classification: "internal" } } };

  it("overrides a denial for an on-call identity, marks the record and lists the session for review", async () => {
    expect((await decide(deleteRecords)).reason_code).toBe("NO_MATCHING_PERMIT");
    const opened = await call<{ session: { id: string }; reason_code: string }>(server, "POST", "/v1/breakglass", server.as.pep, { subject: { id: "dave" }, justification: "INC-4411: corrupted orders must be purged now", duration_seconds: 1800 });
    expect(opened.status).toBe(201);
    expect(opened.body.reason_code).toBe("BREAK_GLASS");
    const sessionId = opened.body.session.id;

    const overridden = await decide(deleteRecords);
    await expectRecorded(server, overridden);
    expect(overridden).toMatchObject({ outcome: "allow", control: "break_glass", reason_code: "BREAK_GLASS", break_glass: { session_id: sessionId } });
    const record = (await call(server, "GET", `/v1/log/entries/${overridden.ledger.index}`, server.as.admin)).body;
    expect(record).toMatchObject({ break_glass: { session_id: sessionId, review_required: true } });

    const queue = await call<{ sessions: { id: string; decisions: number; review: unknown }[] }>(server, "GET", "/v1/breakglass?unreviewed=true", server.as.admin);
    expect(queue.body.sessions).toContainEqual(expect.objectContaining({ id: sessionId, decisions: 1, review: null }));
    const reviewed = await call(server, "POST", `/v1/breakglass/${sessionId}/review`, server.as.admin, { note: "purge matched INC-4411, no other access" });
    expect(reviewed.body).toMatchObject({ review: { reviewer: "carol" } });

    server.clock.advance(1801);
    try {
      expect((await decide(deleteRecords)).reason_code).toBe("NO_MATCHING_PERMIT");
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });

  it("refuses break-glass to an identity policy does not allow, and records the attempt", async () => {
    const refused = await call<{ outcome: string; decision_id: string }>(server, "POST", "/v1/breakglass", server.as.pep, { subject: { credential: server.keys["research-agent"] }, justification: "I would like more access please" });
    expect(refused.status).toBe(403);
    expect(refused.body.outcome).toBe("deny");
    const logged = await call(server, "GET", `/v1/decisions/${refused.body.decision_id}`, server.as.admin);
    expect(logged.body).toMatchObject({ decision: { action: "break_glass", outcome: "deny" } });
  });

  it("refuses a second session for an identity while one is open (BREAK_GLASS_OPEN, 409, recorded) and opens one after it ends", async () => {
    const start = () => call<{ session: { id: string } | null; reason_code: string; note: string; decision_id: string }>(server, "POST", "/v1/breakglass", server.as.pep, { subject: { id: "dave" }, justification: "INC-4412: the payment queue is stuck", duration_seconds: 600 });
    const open = await call<{ sessions: { id: string; active: boolean }[] }>(server, "GET", "/v1/breakglass?identity=dave", server.as.admin);
    for (const s of open.body.sessions.filter((s) => s.active)) expect((await call(server, "POST", `/v1/breakglass/${s.id}/end`, server.as.pep, {})).status).toBe(200);

    const first = await start();
    expect(first.status).toBe(201);
    const second = await start();
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ outcome: "deny", reason_code: "BREAK_GLASS_OPEN", session: null });
    expect(second.body.note).toContain(`session ${first.body.session?.id ?? ""} open until`);
    const logged = await call(server, "GET", `/v1/decisions/${second.body.decision_id}`, server.as.admin);
    expect(logged.body).toMatchObject({ decision: { action: "break_glass", outcome: "deny", reason_code: "BREAK_GLASS_OPEN" } });

    expect((await call(server, "POST", `/v1/breakglass/${first.body.session?.id ?? ""}/end`, server.as.pep, {})).status).toBe(200);
    expect((await start()).status).toBe(201);
  });

  it("opens one session when starts for one identity race, and records the others as BREAK_GLASS_OPEN", async () => {
    const open = await call<{ sessions: { id: string; active: boolean }[] }>(server, "GET", "/v1/breakglass?identity=dave", server.as.admin);
    for (const s of open.body.sessions.filter((s) => s.active)) expect((await call(server, "POST", `/v1/breakglass/${s.id}/end`, server.as.pep, {})).status).toBe(200);

    // Started in one turn of the event loop, so each checks for an open session before any commits.
    const starts = await Promise.all(
      Array.from({ length: 4 }, (_, i) => server.runtime.breakGlassFlow.start({ subject: { id: "dave" }, justification: `INC-4413: racing start number ${i}`, durationSeconds: 600 }, TEST_CALLER)),
    );
    expect(starts.filter((s) => s.session !== undefined)).toHaveLength(1);
    const refused = starts.filter((s) => s.session === undefined);
    expect(refused.map((s) => s.reason)).toEqual(["BREAK_GLASS_OPEN", "BREAK_GLASS_OPEN", "BREAK_GLASS_OPEN"]);
    for (const s of refused) expect((await call(server, "GET", `/v1/decisions/${s.decisionId}`, server.as.admin)).status).toBe(200);
    const after = await call<{ sessions: { id: string; active: boolean }[] }>(server, "GET", "/v1/breakglass?identity=dave", server.as.admin);
    expect(after.body.sessions.filter((s) => s.active)).toHaveLength(1);
  });
});

describe("errors say what to send", () => {
  it("answers an approval without a body with `justification is required`", async () => {
    const noBody = await call<{ code: string; detail: string }>(server, "POST", "/v1/approvals/apr_x/approve", { authorization: server.as.approver.authorization ?? "" });
    expect(noBody.status).toBe(400);
    expect(noBody.body.code).toBe("REQUEST_INVALID");
    expect(noBody.body.detail).toContain("justification is required");
    expect(noBody.body.detail).not.toContain("received null");
    const blank = await call<{ detail: string }>(server, "POST", "/v1/approvals/apr_x/deny", server.as.approver, { justification: "  " });
    expect(blank.body.detail).toContain("justification is required");
    const emptyJson = await call<{ code: string; detail: string }>(server, "POST", "/v1/approvals/apr_x/approve", server.as.approver);
    expect(emptyJson.status).toBe(400);
    expect(emptyJson.body.detail).toContain("justification is required");
  });
});
