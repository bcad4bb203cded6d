// GET /v1/events: the console's live updates over Server-Sent Events, by ledger index, resumable, for the roles that may see them, bounded.
import { beforeAll, describe, expect, it } from "vitest";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ server: { events: { heartbeatMs: 150, pollMs: 20, maxPerIdentity: 2, maxTotal: 3 } } });
});

interface Stream {
  status: number;
  /** Reads until `pattern` shows up in what arrived, and returns everything so far. */
  until(pattern: RegExp): Promise<string>;
  close(): Promise<void>;
}

async function open(headers: Record<string, string>, topic = "decisions", extra: Record<string, string> = {}): Promise<Stream> {
  const stop = new AbortController();
  const response = await fetch(`${server.url}/v1/events?topic=${topic}`, { headers: { ...headers, ...extra }, signal: stop.signal });
  const reader = response.body?.getReader();
  let text = "";
  return {
    status: response.status,
    until: async (pattern) => {
      while (!pattern.test(text)) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) throw new Error(`the stream ended before ${String(pattern)}:\n${text}`);
        text += new TextDecoder().decode(chunk.value as Uint8Array);
      }
      return text;
    },
    close: async () => {
      stop.abort();
      await reader?.cancel().catch(() => undefined);
    },
  };
}

async function deploy(): Promise<{ decision_id: string; ledger: { index: number } }> {
  const answer = await call<{ decision_id: string; ledger: { index: number } }>(server, "POST", "/v1/decisions", server.as.pep, { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { n: Math.random() } });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe("the event stream", () => {
  it("sends each new decision as an event whose id is its ledger index, with heartbeats, and resumes after Last-Event-ID", async () => {
    const stream = await open(server.as.admin);
    expect(stream.status).toBe(200);
    const first = await deploy();
    const text = await stream.until(new RegExp(`id: ${first.ledger.index}\\n`));
    expect(text).toContain(`event: decisions\ndata: {"index":${first.ledger.index},"kind":"decision"`);
    expect(text).toContain(`"decision_id":"${first.decision_id}","outcome":"challenge"`);
    // The record's content is not in the stream (the console reads it through the API).
    expect(text).not.toContain("production");
    await stream.until(/: heartbeat\n\n/);
    await stream.close();

    const missed = await deploy();
    const resumed = await open(server.as.admin, "decisions", { "last-event-id": String(first.ledger.index) });
    expect(await resumed.until(new RegExp(`id: ${missed.ledger.index}\\n`))).not.toContain(`id: ${first.ledger.index}\n`);
    await resumed.close();
  });

  it("gives an approver the approvals stream only, and refuses no credential, a forged one, a PEP, and a forged Last-Event-ID", async () => {
    const approvals = await open(server.as.approver, "approvals");
    expect(approvals.status).toBe(200);
    const opened = await deploy();
    await approvals.until(new RegExp(`id: ${opened.ledger.index}\\nevent: approvals\\n`));
    await approvals.close();
    expect((await call(server, "GET", "/v1/events?topic=decisions", server.as.approver)).status).toBe(403);
    expect((await call(server, "GET", "/v1/events?topic=decisions", {})).status).toBe(401);
    expect((await call(server, "GET", "/v1/events?topic=decisions", { authorization: "Bearer arb_forged" })).status).toBe(401);
    expect((await call(server, "GET", "/v1/events?topic=decisions", server.as.pep)).status).toBe(403);
    expect((await call(server, "GET", "/v1/events?topic=everything", server.as.admin)).status).toBe(400);
    expect((await call(server, "GET", "/v1/events?topic=decisions&token=x", server.as.admin)).status).toBe(400);
    for (const forged of ["-1", "1e3", "0x10", "1; drop", "9".repeat(30)]) {
      expect((await call(server, "GET", "/v1/events?topic=decisions", { ...server.as.admin, "last-event-id": forged })).status, forged).toBe(400);
    }
  });

  it("answers a flood with 429 EVENT_STREAM_LIMIT: per identity, then in total, and frees a place when a stream closes", async () => {
    const held = [await open(server.as.admin), await open(server.as.admin)];
    const third = await call(server, "GET", "/v1/events?topic=decisions", server.as.admin);
    expect(third).toMatchObject({ status: 429, body: { code: "EVENT_STREAM_LIMIT" } });
    held.push(await open(server.as.approver, "approvals"));
    expect(await call(server, "GET", "/v1/events?topic=approvals", server.as.erin)).toMatchObject({ status: 429, body: { code: "EVENT_STREAM_LIMIT" } });
    for (const stream of held) await stream.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await open(server.as.admin);
    expect(again.status).toBe(200);
    await again.close();
  });

  it("ends a stream at the next heartbeat once its credential is revoked", async () => {
    const seeder = { id: "test-seeder", type: "human" as const };
    await server.runtime.identities.create({ id: "zoe", type: "human", roles: ["auditor"] }, seeder);
    const issued = await server.runtime.identities.issueApiKey("zoe", seeder);
    const stream = await open({ authorization: `Bearer ${issued.key}` });
    await stream.until(/: heartbeat/);
    await server.runtime.identities.suspend("zoe", seeder);
    await expect(stream.until(/never/)).rejects.toThrow(/the stream ended|terminated/);
  });
});
