// Identity lifecycle through the HTTP API takes effect on the very next decision.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { call, expectRecorded, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

const search = (credential: string) => ({ subject: { credential }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } });

async function decide(request: Record<string, unknown>): Promise<Decision> {
  const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, request);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe("identity lifecycle", () => {
  it("refuses a non-human identity without an owner (OWNER_REQUIRED)", async () => {
    const answer = await call(server, "POST", "/v1/identities", server.as.admin, { id: "orphan-bot", type: "agent" });
    expect(answer).toMatchObject({ status: 422, body: { code: "OWNER_REQUIRED" } });
    expect(answer.contentType).toMatch(/application\/problem\+json/);
  });

  it("refuses a rotated key with CREDENTIAL_ROTATED and accepts the new one", async () => {
    await call(server, "POST", "/v1/identities", server.as.admin, { id: "rotating-bot", type: "agent", owner: "alice" });
    const first = await call<{ key: string }>(server, "POST", "/v1/identities/rotating-bot/keys", server.as.admin);
    expect((await decide(search(first.body.key))).outcome).toBe("allow");
    const rotated = await call<{ key: string }>(server, "POST", "/v1/identities/rotating-bot/rotate", server.as.admin, {});
    const old = await decide(search(first.body.key));
    expect(old).toMatchObject({ outcome: "deny", control: "lifecycle", reason_code: "CREDENTIAL_ROTATED", policy: { determining: [] } });
    expect(old.note).toMatch(/was replaced by key_\w+; use the new key/);
    await expectRecorded(server, old);
    expect((await decide(search(rotated.body.key))).outcome).toBe("allow");
  });

  it("refuses a suspended identity at once and allows it again when reactivated", async () => {
    const key = server.keys["support-agent"] as string;
    await call(server, "POST", "/v1/identities/support-agent/suspend", server.as.admin, { reason: "investigating INC-77" });
    const suspended = await decide(search(key));
    expect(suspended).toMatchObject({ outcome: "deny", reason_code: "IDENTITY_SUSPENDED" });
    await expectRecorded(server, suspended);
    await call(server, "POST", "/v1/identities/support-agent/reactivate", server.as.admin, {});
    expect((await decide(search(key))).outcome).toBe("allow");
  });

  it("refuses a revoked credential with CREDENTIAL_REVOKED", async () => {
    await call(server, "POST", "/v1/identities", server.as.admin, { id: "revoked-bot", type: "agent", owner: "alice" });
    const issued = await call<{ key: string; credential: { id: string } }>(server, "POST", "/v1/identities/revoked-bot/keys", server.as.admin);
    await call(server, "POST", `/v1/credentials/${issued.body.credential.id}/revoke`, server.as.admin, { reason: "leaked in a log" });
    const revoked = await decide(search(issued.body.key));
    expect(revoked).toMatchObject({ outcome: "deny", reason_code: "CREDENTIAL_REVOKED" });
    await expectRecorded(server, revoked);
  });

  it("refuses an expired token with CREDENTIAL_EXPIRED", async () => {
    const issued = await call<{ token: string }>(server, "POST", "/v1/tokens", server.as.admin, { identity: "research-agent", ttl_seconds: 60 });
    expect(issued.status).toBe(201);
    expect((await decide(search(issued.body.token))).outcome).toBe("allow");
    server.clock.advance(3600);
    try {
      const expired = await decide(search(issued.body.token));
      expect(expired).toMatchObject({ outcome: "deny", reason_code: "CREDENTIAL_EXPIRED" });
      await expectRecorded(server, expired);
    } finally {
      server.clock.set("2026-11-24T10:00:00.000Z");
    }
  });

  it("records the delegation chain of an exchanged token in the decision", async () => {
    const user = await call<{ token: string }>(server, "POST", "/v1/tokens", server.as.admin, { identity: "alice" });
    const exchanged = await call<{ token: string }>(server, "POST", "/v1/tokens/exchange", { authorization: `Bearer ${server.keys["research-agent"]}`, "content-type": "application/json" }, { subject_token: user.body.token, intent: "summarise the design docs" });
    expect(exchanged.status).toBe(201);
    const decision = await decide({ ...search(exchanged.body.token) });
    const record = (await call(server, "GET", `/v1/log/entries/${decision.ledger.index}`, server.as.admin)).body;
    expect(record).toMatchObject({ delegation: expect.arrayContaining([expect.objectContaining({ id: "alice" })]) as unknown });
  });
});
