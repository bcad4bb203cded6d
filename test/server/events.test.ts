// GET /v1/events: the console's live updates over Server-Sent Events, by ledger index, resumable, for the roles that may see them, bounded.
import { connect, type Socket } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { newRecordId } from "../../src/record/index.js";
import { arbiter } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;
/** The same, polling the ledger for other processes' appends every 50 ms. */
let polling: TestServer;

beforeAll(async () => {
  // The poll for other processes' appends is an hour apart: this process's appends must reach a stream without it.
  server = await startTestServer({ server: { events: { heartbeatMs: 150, pollMs: 3_600_000, maxPerIdentity: 2, maxTotal: 3 } } });
  polling = await startTestServer({ server: { events: { pollMs: 50 } } });
});

interface Stream {
  status: number;
  /** Reads until `pattern` shows up in what arrived, and returns everything so far. */
  until(pattern: RegExp): Promise<string>;
  close(): Promise<void>;
}

async function open(headers: Record<string, string>, topic = "decisions", extra: Record<string, string> = {}, on = server): Promise<Stream> {
  const stop = new AbortController();
  const response = await fetch(`${on.url}/v1/events?topic=${topic}`, { headers: { ...headers, ...extra }, signal: stop.signal });
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
  it("sends each new decision as an event whose id is its ledger index once durable (not by polling), with heartbeats, and resumes after Last-Event-ID", async () => {
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

/** Metric values of the server, by series (name and labels as /metrics prints them). */
async function metricsOf(on: TestServer): Promise<Record<string, number>> {
  const text = (await call<string>(on, "GET", "/metrics", {})).body;
  return Object.fromEntries([...text.matchAll(/^(arbiter_event_stream\S*) (\S+)$/gm)].map((m) => [m[1] as string, Number(m[2])]));
}

/**
 * A client that stops reading: the request on a raw socket, then `pause()`, so the kernel's buffers
 * fill and the server's writes queue in its own memory. `resume()` reads what it was sent to the end.
 */
function slowReader(on: TestServer, key: string): Promise<{ socket: Socket; resume: () => Promise<string> }> {
  const { hostname, port } = new URL(on.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`GET /v1/events?topic=decisions HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${key}\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.once("error", reject);
    socket.once("data", (first: Buffer) => {
      socket.pause();
      chunks.push(first);
      if (!first.toString("latin1").startsWith("HTTP/1.1 200")) reject(new Error(first.toString("latin1")));
      const resume = (): Promise<string> =>
        new Promise((done) => {
          socket.on("data", (chunk: Buffer) => chunks.push(chunk));
          socket.once("close", () => done(Buffer.concat(chunks).toString("latin1")));
          socket.resume();
        });
      resolve({ socket, resume });
    });
  });
}

/** `count` decision records appended in this process (as the engine appends them), the first at ledger index `first`. */
async function appendDecisions(on: TestServer, count: number): Promise<number> {
  const appended = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      on.runtime.ledger.append({
        kind: "decision",
        id: newRecordId(),
        time: new Date().toISOString(),
        subject: { id: `agent-${i % 10}`, type: "agent", owner: "alice" },
        action: "search_docs",
        resource: { id: "docs/search", type: "Tool" },
        outcome: "allow",
        control: "access",
        reason_code: "POLICY_PERMIT",
        note: "Agents may search the docs.",
        policy: { set_version: "sha256:events-test", determining: ["events-test"], engine: "arbiter" },
      }),
    ),
  );
  return appended.at(-1)?.index ?? -1;
}

describe("a client that does not read", () => {
  const LIMIT = 256 * 1024;
  /** The largest event a decision makes here, and then some. */
  const EVENT = 512;

  it("is dropped once it owes 256 KiB, never buffered without bound, while a reading client keeps getting every event", async () => {
    const slow = await slowReader(server, server.keys.carol ?? "");
    const fast = await open(server.as.admin);
    expect(fast.status).toBe(200);
    let last = -1;
    let sentBytes = 0;
    // The kernel takes megabytes into a loopback connection's buffers before the server's own
    // writes start to queue; keep appending until the server drops the slow client (or give up).
    for (let round = 0; round < 60 && (await metricsOf(server))['arbiter_event_streams_dropped_total{reason="slow"}'] !== 1; round++) {
      last = await appendDecisions(server, 1000);
      await new Promise((resolve) => setImmediate(resolve));
      const text = await fast.until(new RegExp(`id: ${last}\\n`));
      sentBytes = Buffer.byteLength(text);
      const metrics = await metricsOf(server);
      // What the server holds for its streams stays bounded however much the ledger grows.
      expect(metrics.arbiter_event_stream_unsent_bytes).toBeLessThanOrEqual(2 * (LIMIT + EVENT));
    }
    const metrics = await metricsOf(server);
    expect(metrics['arbiter_event_streams_dropped_total{reason="slow"}']).toBe(1);
    expect(metrics['arbiter_event_streams{topic="decisions"}']).toBe(1);

    // The slow client gets what the kernel held and the connection's end: far less than was sent to the reader.
    const received = await slow.resume();
    expect(received).toContain("HTTP/1.1 200");
    expect(Buffer.byteLength(received)).toBeLessThan(sentBytes);
    expect(received).not.toContain(`id: ${last}\n`);

    // The reader is still served, and the dropped client's place is free again.
    const after = await appendDecisions(server, 1);
    await fast.until(new RegExp(`id: ${after}\\n`));
    const again = await open(server.as.admin, "decisions", { "last-event-id": String(after - 1) });
    expect(await again.until(new RegExp(`id: ${after}\\n`))).toContain(`"index":${after}`);
    await again.close();
    await fast.close();
  });
});

describe("appends of other processes", () => {
  it("reach a stream through the poll of the ledger's size: a decision the CLI records on the same data directory", async () => {
    const stream = await open(polling.as.admin, "decisions", {}, polling);
    expect(stream.status).toBe(200);
    const decided = arbiter(["decide", "--data", polling.dir, "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs/search", "--json"]);
    expect(decided.stderr).toBe("");
    const answer = JSON.parse(decided.stdout) as { decision_id: string; ledger: { index: number } };
    const text = await stream.until(new RegExp(`id: ${answer.ledger.index}\\n`));
    expect(text).toContain(`"decision_id":"${answer.decision_id}"`);
    await stream.close();
  });
});
