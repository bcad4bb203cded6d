// Records reach NATS JetStream once per ledger index, across a NATS outage and an Arbiter restart.
import { createHash } from "node:crypto";
import { join } from "node:path";
import { connect, type NatsConnection } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import type { StreamingOptions } from "../../src/stream/index.js";
import { tempDir } from "../support/cli.js";
import { eventLine } from "../support/ledger.js";
import { TestNats } from "./nats-server.js";

const STREAM = "TEST_RECORDS";
const PREFIX = "test.records";

let nats: TestNats;
const work = tempDir("arbiter-stream-nats-");
const lines: string[] = [];

beforeAll(async () => {
  nats = await TestNats.start(join(work, "jetstream"));
});

afterAll(async () => {
  await nats.stop();
});

function streaming(servers: string): StreamingOptions {
  return {
    nats: { servers, subjectPrefix: PREFIX, stream: STREAM, ackTimeoutMs: 1000 },
    maxBacklog: 64,
    pollMs: 20,
    maxRetryMs: 400,
    log: (line) => lines.push(line),
  };
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sinkOf(runtime: Runtime) {
  const status = runtime.streams?.status().find((s) => s.sink === "nats");
  if (!status) throw new Error("no nats sink");
  return status;
}

async function append(runtime: Runtime, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await runtime.ledger.append(eventLine(i));
}

interface Received {
  subject: string;
  index: number;
  leafHash: string;
  msgId: string;
  data: Buffer;
}

async function readStream(client: NatsConnection): Promise<Received[]> {
  const jsm = await client.jetstreamManager();
  const { state } = await jsm.streams.info(STREAM);
  const out: Received[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const msg = await jsm.streams.getMessage(STREAM, { seq });
    out.push({
      subject: msg.subject,
      index: Number(msg.header.get("Arbiter-Ledger-Index")),
      leafHash: msg.header.get("Arbiter-Leaf-Hash"),
      msgId: msg.header.get("Nats-Msg-Id"),
      data: Buffer.from(msg.data),
    });
  }
  return out;
}

describe("publishing to NATS JetStream", () => {
  it("delivers every record once per index after NATS is stopped and restarted mid-run, and resumes after a restart of Arbiter", async () => {
    const dir = join(work, "data");
    initDataDir(dir, { origin: "test.arbiter.example/stream" });
    let runtime = openRuntime(dir, { checkpointIntervalMs: 0, streaming: streaming(nats.url) });
    await append(runtime, 0, 100);
    await until("the first 100 are acknowledged", () => sinkOf(runtime).lastPublishedIndex === 99);

    await nats.stop();
    // Appends never wait on NATS: all of these are durable while it is down.
    await append(runtime, 100, 150);
    await until("a publish has failed", () => sinkOf(runtime).failures > 0);
    const down = sinkOf(runtime);
    expect(down.lastPublishedIndex).toBeLessThan(249);
    expect(down.backlog).toBe(249 - down.lastPublishedIndex);
    expect(down.inFlight).toBeLessThanOrEqual(64);

    await nats.restart();
    await until("the backlog is caught up", () => sinkOf(runtime).lastPublishedIndex === 249);
    expect(sinkOf(runtime).backlog).toBe(0);
    await runtime.close();

    // A restart resumes from the stored position: nothing is sent twice, the next record is sent.
    runtime = openRuntime(dir, { checkpointIntervalMs: 0, streaming: streaming(nats.url) });
    expect(sinkOf(runtime)).toMatchObject({ lastPublishedIndex: 249, backlog: 0 });
    await append(runtime, 250, 1);
    await until("the new record is acknowledged", () => sinkOf(runtime).lastPublishedIndex === 250);
    expect(sinkOf(runtime).published).toBe(1);

    const client = await connect({ servers: nats.url });
    try {
      const received = await readStream(client);
      expect(received.map((r) => r.index)).toEqual(Array.from({ length: 251 }, (_, i) => i));
      for (const message of received) {
        const leaf = runtime.ledger.entry(message.index);
        expect(message.data.equals(leaf)).toBe(true);
        expect(message.leafHash).toBe(createHash("sha256").update(Buffer.from([0])).update(leaf).digest("hex"));
        expect(message.msgId).toBe(String(message.index));
        expect(message.subject).toBe(`${PREFIX}.event`);
      }
    } finally {
      await client.close();
      await runtime.close();
    }
    expect(lines.some((line) => line.startsWith("stream nats: ") && line.includes("retrying"))).toBe(true);
    expect(lines.some((line) => line.startsWith("stream nats: delivering again"))).toBe(true);
  }, 60_000);
});
