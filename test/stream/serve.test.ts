// `arbiter serve` streams through the real CLI: settings from the environment, NATS and OTLP at once, /metrics per sink.
import { join } from "node:path";
import { connect } from "nats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoServe, tempDir } from "../support/cli.js";
import { TestNats } from "./nats-server.js";
import { OtlpReceiver } from "./otlp-receiver.js";

const work = tempDir("arbiter-stream-serve-");
const receiver = new OtlpReceiver();
let nats: TestNats;

beforeAll(async () => {
  nats = await TestNats.start(join(work, "jetstream"));
  await receiver.start();
});

afterAll(async () => {
  await receiver.stop();
  await nats.stop();
});

function metric(text: string, name: string, sink: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{sink="${sink}"} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

describe("arbiter serve with streaming on", () => {
  it("publishes a decision to NATS and to the OTLP collector, shows both sinks in /metrics, and stops cleanly", async () => {
    const data = join(work, "data");
    const { child, url, keys, printed, exited } = await startDemoServe(data, {
      ARBITER_STREAM_NATS_URL: nats.url,
      ARBITER_STREAM_NATS_SUBJECT_PREFIX: "e2e.records",
      ARBITER_STREAM_NATS_STREAM: "E2E_RECORDS",
      ARBITER_STREAM_OTLP_ENDPOINT: receiver.url,
      ARBITER_STREAM_OTLP_HEADERS: "Authorization=Bearer e2e-token-31",
      ARBITER_STREAM_POLL_INTERVAL: "20ms",
    });
    const answer = await fetch(`${url}/v1/decisions`, {
      method: "POST",
      headers: { authorization: `Bearer ${keys["mcp-gateway"]}`, "content-type": "application/json" },
      body: JSON.stringify({ subject: { credential: keys["support-agent"] }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } }),
    });
    const decision = (await answer.json()) as { decision_id: string; ledger: { index: number } };
    const index = decision.ledger.index;

    let metrics = "";
    for (let i = 0; i < 400 && !(metric(metrics, "arbiter_stream_last_published_index", "nats") >= index && metric(metrics, "arbiter_stream_last_published_index", "otlp") >= index); i++) {
      metrics = await (await fetch(`${url}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const sink of ["nats", "otlp"]) {
      expect(metric(metrics, "arbiter_stream_last_published_index", sink)).toBeGreaterThanOrEqual(index);
      expect(metric(metrics, "arbiter_stream_failures_total", sink)).toBe(0);
    }

    const client = await connect({ servers: nats.url });
    try {
      const jsm = await client.jetstreamManager();
      const msg = await jsm.streams.getMessage("E2E_RECORDS", { last_by_subj: "e2e.records.decision" });
      expect(msg.header.get("Nats-Msg-Id")).toBe(String(index));
      expect(JSON.parse(new TextDecoder().decode(msg.data))).toMatchObject({ kind: "decision", id: decision.decision_id });
    } finally {
      await client.close();
    }
    expect(receiver.accepted.find((l) => l.attributes["arbiter.decision_id"] === decision.decision_id)?.body).toMatchObject({ class_uid: 6003, api: { operation: "query_customers" } });
    expect(receiver.requests.every((r) => r.headers.authorization === "Bearer e2e-token-31")).toBe(true);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(printed()).not.toContain("e2e-token-31");
  }, 60_000);
});
