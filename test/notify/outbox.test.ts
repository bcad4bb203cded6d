// The notification outbox through the real CLI: a delivery pending when serve is killed is delivered after a restart, and `arbiter decide` writes to the outbox that serve or `arbiter notify deliver` sends.
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/index.js";
import { DELIVERY_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../src/notify/index.js";
import type { NotificationRecord } from "../../src/record/index.js";
import { spawnArbiter, startDemoServe, tempDir } from "../support/cli.js";
import { startReceiver } from "./receiver.js";

const SECRET = "outbox-signing-secret-0042";
const work = tempDir("arbiter-notify-outbox-");
const data = join(work, "data");
const hook = await startReceiver();
afterAll(() => hook.close());

const env = {
  ARBITER_NOTIFY_WEBHOOKS: JSON.stringify([{ name: "approvers", url: hook.url, secret: SECRET }]),
  ARBITER_NOTIFY_RETRY_BASE: "300ms",
};

function notificationRecords(): NotificationRecord[] {
  const { ledger } = openLedger(data, { checkpointIntervalMs: 0 });
  try {
    const out: NotificationRecord[] = [];
    for (let i = 0; i < ledger.size(); i++) {
      const record = JSON.parse(ledger.entry(i).toString("utf8")) as NotificationRecord;
      if (record.kind === "notification") out.push(record);
    }
    return out;
  } finally {
    void ledger.close();
  }
}

/** The CLI without blocking this process: the receiver answering it lives here. */
async function arbiter(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawnArbiter(args, { ...env, ...extra });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end();
  const status = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { status, stdout, stderr };
}

/** Waits until the explanation of decision `id` on `server` holds `text` among its related records. */
async function untilRelated(server: Awaited<ReturnType<typeof startDemoServe>>, id: string, text: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const explained = await (await fetch(`${server.url}/v1/decisions/${id}`, { headers: { authorization: `Bearer ${server.keys.carol ?? ""}` } })).text();
    if (explained.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`decision ${id} never listed ${text} among its related records`);
}

const DEPLOY = ["--subject", "release-pipeline", "--action", "deploy", "--resource", "Environment::production", "--resource-attr", "tier=production"];

it("a delivery pending when serve is killed is delivered after the restart, with the same idempotency key, each attempt recorded", async () => {
  hook.answer.status = 503;
  const first = await startDemoServe(data, env);
  const answer = await fetch(`${first.url}/v1/decisions`, {
    method: "POST",
    headers: { authorization: `Bearer ${first.keys["mcp-gateway"] ?? ""}`, "content-type": "application/json" },
    body: JSON.stringify({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { password: "hunter2-in-the-args" } }),
  });
  const decision = (await answer.json()) as { decision_id: string; reason_code: string; approval_request: { id: string } };
  expect(decision.reason_code).toBe("APPROVAL_REQUIRED");
  await hook.waitFor(1);
  // The first attempt's record is durable (the decision's related records list it) before the kill.
  await untilRelated(first, decision.decision_id, '"kind":"notification"');
  // No orderly stop: the process is gone between two attempts, with the delivery only in the outbox.
  first.child.kill("SIGKILL");
  await first.exited;

  hook.answer.status = 200;
  const second = await startDemoServe(data, env);
  const [refused, delivered] = await hook.waitFor(2);
  expect(delivered?.headers[DELIVERY_HEADER]).toBe(refused?.headers[DELIVERY_HEADER]);
  expect(delivered?.headers[IDEMPOTENCY_HEADER]).toBe(refused?.headers[DELIVERY_HEADER]);
  expect(delivered?.body).toBe(refused?.body);
  expect(JSON.parse(delivered?.body ?? "")).toMatchObject({ approval_id: decision.approval_request.id, call: { arguments: { password: "[MASKED:secret]" } } });
  expect(verifySignature(SECRET, Number(delivered?.headers[TIMESTAMP_HEADER]), delivered?.body ?? "", String(delivered?.headers[SIGNATURE_HEADER]))).toBe(true);
  // The receiver has the body; stopping before serve has read its answer would cut the attempt short
  // (recorded as failed, sent again later), so stop once the delivery's record is durable.
  await untilRelated(second, decision.decision_id, '"outcome":"delivered"');
  second.child.kill("SIGTERM");
  expect(await second.exited).toBe(0);

  const records = notificationRecords().filter((r) => r.approval_request_id === decision.approval_request.id);
  expect(records.map(({ attempt, outcome, final, status, delivery_id }) => ({ attempt, outcome, final, status, delivery_id }))).toEqual([
    { attempt: 1, outcome: "failed", final: false, status: 503, delivery_id: refused?.headers[DELIVERY_HEADER] },
    { attempt: 2, outcome: "delivered", final: true, status: 200, delivery_id: refused?.headers[DELIVERY_HEADER] },
  ]);
  for (const raw of ["hunter2-in-the-args", SECRET]) {
    expect(first.printed() + second.printed()).not.toContain(raw);
    for (const got of hook.received) expect(got.body).not.toContain(raw);
  }
});

it("arbiter decide opening an approval request writes it to the outbox: a running serve delivers it, and without one arbiter notify deliver does", async () => {
  const before = hook.received.length;
  const served = await startDemoServe(data, env);
  const opened = await arbiter(["decide", ...DEPLOY, "--args", JSON.stringify({ build: 7, token: "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB" }), "--data", data]);
  expect(opened.stdout).toMatch(/approval request apr_\S+ \(pending\)/);
  const id = /approval request (apr_\S+)/.exec(opened.stdout)?.[1];
  const got = (await hook.waitFor(before + 1))[before];
  expect(JSON.parse(got?.body ?? "")).toMatchObject({ approval_id: id, call: { arguments: { build: 7, token: "[MASKED:secret]" } } });
  expect(got?.body).not.toContain("ghp_0123456789");
  await untilRelated(served, /decision (\S+) at ledger index/.exec(opened.stdout)?.[1] ?? "", '"outcome":"delivered"');
  served.child.kill("SIGTERM");
  expect(await served.exited).toBe(0);

  // With nothing serving, the decide command only writes; notify deliver sends.
  const later = await arbiter(["decide", ...DEPLOY, "--args", JSON.stringify({ build: 8 }), "--data", data]);
  const laterId = /approval request (apr_\S+)/.exec(later.stdout)?.[1];
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(hook.received).toHaveLength(before + 1);
  const delivered = await arbiter(["notify", "deliver", "--data", data]);
  expect(delivered.status).toBe(0);
  expect(delivered.stdout).toBe("delivered 1, failed 0, to retry 0; 0 in the outbox\n");
  expect(JSON.parse(hook.received[before + 1]?.body ?? "")).toMatchObject({ approval_id: laterId, call: { arguments: { build: 8 } } });
  expect(notificationRecords().filter((r) => r.approval_request_id === laterId)).toMatchObject([{ attempt: 1, outcome: "delivered", final: true }]);

  // A receiver that refuses: the delivery is given up after a 4xx, recorded, and the command says so.
  hook.answer.status = 410;
  await arbiter(["decide", ...DEPLOY, "--args", JSON.stringify({ build: 9 }), "--data", data]);
  const refused = await arbiter(["notify", "deliver", "--data", data]);
  expect(refused.status).toBe(1);
  expect(refused.stdout).toBe("delivered 0, failed 1, to retry 0; 0 in the outbox\n");
  hook.answer.status = 200;
});
