// Records reach an OTLP/HTTP collector as OCSF API Activity events, once per index across a collector outage.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import type { Runtime } from "../../src/runtime/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, serveSeeded } from "../support/server.js";
import { OtlpReceiver, type ReceivedLog } from "./otlp-receiver.js";

const TOKEN = "collector-token-5f1c9a";
const receiver = new OtlpReceiver();
const lines: string[] = [];
let runtime: Runtime;
let url = "";
let keys: Record<string, string> = {};

beforeAll(async () => {
  await receiver.start();
  const seeded = await serveSeeded(join(tempDir("arbiter-stream-otlp-"), "data"), {
    origin: "test.arbiter.example/otlp",
    identities: PEOPLE_AND_MACHINES,
    policies: DEMO_POLICIES,
    runtime: { streaming: { otlp: { endpoint: receiver.url, headers: { authorization: `Bearer ${TOKEN}` }, timeoutMs: 2000 }, maxBacklog: 50, pollMs: 20, maxRetryMs: 400, log: (l) => lines.push(l) } },
  });
  ({ runtime, url, keys } = seeded);
});

afterAll(async () => {
  await receiver.stop();
});

function otlpStatus() {
  const status = runtime.streams?.status().find((s) => s.sink === "otlp");
  if (!status) throw new Error("no otlp sink");
  return status;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function decide(path: string): Promise<Decision> {
  const request = { subject: { credential: keys["research-agent"] }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path } };
  const answer = await fetch(`${url}/v1/decisions`, { method: "POST", headers: { authorization: `Bearer ${keys.gateway ?? ""}`, "content-type": "application/json" }, body: JSON.stringify(request) });
  expect(answer.status).toBe(200);
  return (await answer.json()) as Decision;
}

function logAt(index: number): ReceivedLog {
  const log = receiver.accepted.find((l) => l.attributes["arbiter.ledger.index"] === index);
  if (!log) throw new Error(`index ${index} was not received`);
  return log;
}

describe("exporting to an OTLP collector", () => {
  it("sends each decision as an OCSF API Activity event with its decision id, reason code and policy version", async () => {
    const allowed = await decide("/workspace/notes.md");
    const refused = await decide("/workspace/.env");
    await until("both decisions are exported", () => otlpStatus().lastPublishedIndex >= refused.ledger.index);

    for (const decision of [allowed, refused]) {
      const record = JSON.parse(runtime.ledger.entry(decision.ledger.index).toString("utf8")) as { time: string; policy: { set_version: string; determining: string[] } };
      const log = logAt(decision.ledger.index);
      expect(log.resource).toMatchObject({ "service.name": "arbiter", "arbiter.ledger.origin": "test.arbiter.example/otlp" });
      expect(log).toMatchObject({ scope: "arbiter.ledger", severityText: "INFO", eventName: "ocsf.api_activity", timeUnixNano: String(Date.parse(record.time) * 1_000_000) });
      expect(log.attributes).toMatchObject({
        "arbiter.decision_id": decision.decision_id,
        "arbiter.record.id": decision.decision_id,
        "arbiter.record.kind": "decision",
        "arbiter.reason_code": decision.reason_code,
        "arbiter.policy_version": record.policy.set_version,
        "arbiter.ledger.index": decision.ledger.index,
      });
      const success = decision.outcome === "allow";
      expect(log.body).toMatchObject({
        class_uid: 6003,
        category_uid: 6,
        activity_id: 2,
        activity_name: "Read",
        type_uid: 600302,
        time: Date.parse(record.time),
        status_id: success ? 1 : 2,
        status: success ? "Success" : "Failure",
        status_code: decision.reason_code,
        actor: { user: { uid: "research-agent", type: "agent" }, authorizations: (record.policy.determining.length > 0 ? record.policy.determining : [undefined]).map((uid) => ({ decision: decision.outcome, policy: uid === undefined ? { version: record.policy.set_version } : { uid, version: record.policy.set_version } })) },
        api: { operation: "read_file", request: { uid: decision.decision_id } },
        resources: [{ uid: "filesystem/read_file", type: "Tool", labels: ["sensitivity:internal"] }],
        metadata: { version: "1.3.0", product: { name: "Arbiter", vendor_name: "Arbiter" }, uid: decision.decision_id, sequence: decision.ledger.index, log_name: "test.arbiter.example/otlp" },
        raw_data: runtime.ledger.entry(decision.ledger.index).toString("utf8"),
      });
    }
    expect(allowed.outcome).toBe("allow");
    expect(refused.outcome).not.toBe("allow");
    // Arguments never leave raw: the path is only a commitment in the leaf, so in no event either.
    expect(JSON.stringify(receiver.accepted)).not.toContain("/workspace/notes.md");
    expect(receiver.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}` && r.path === "/v1/logs")).toBe(true);
  });

  it("keeps answering while the collector refuses, then delivers every index exactly once", async () => {
    const before = otlpStatus();
    receiver.status = 500;
    const during = await Promise.all(Array.from({ length: 30 }, () => decide("/workspace/notes.md")));
    await until("an export has failed", () => otlpStatus().failures > before.failures);
    expect(otlpStatus().backlog).toBeGreaterThan(0);
    receiver.status = 200;
    const last = Math.max(...during.map((d) => d.ledger.index));
    await until("the backlog is delivered", () => otlpStatus().lastPublishedIndex === runtime.ledger.size() - 1 && otlpStatus().lastPublishedIndex >= last);

    const indexes = receiver.accepted.map((l) => l.attributes["arbiter.ledger.index"] as number);
    expect(indexes).toEqual(Array.from({ length: runtime.ledger.size() }, (_, i) => i));
    // Lifecycle and policy records go too, as "Other" activities named by their kind and event.
    expect(logAt(0).body).toMatchObject({ class_uid: 6003, activity_id: 99, activity_name: "lifecycle created", type_uid: 600399 });
    const failure = lines.find((l) => l.startsWith("stream otlp: "));
    expect(failure).toMatch(/did not accept the export/);
    expect(lines.join("\n")).not.toContain(TOKEN);
  });
});
