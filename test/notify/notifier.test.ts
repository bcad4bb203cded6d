// Approver notifications against a real HTTP receiver, from approval requests the real engine opens over the sample policies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { DELIVERY_HEADER, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from "../../src/notify/index.js";
import type { NotificationRecord } from "../../src/record/index.js";
import { startNotifications, type NotificationOptions, type Notifications } from "../../src/runtime/index.js";
import { loadSettings } from "../../src/runtime/settings/index.js";
import { startTestServer, TEST_CALLER, type TestServer } from "../support/server.js";
import { startReceiver, type Receiver } from "./receiver.js";

const SECRET = "whsec-0123456789abcdef";
const PUBLIC = "https://arbiter.example.com/console/";

let server: TestServer;
const open: (Notifications | Receiver)[] = [];

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  for (const thing of open.reverse()) await thing.close();
});

/** Starts notifications from settings given as environment variables, as `arbiter serve` reads them. */
function notifications(webhooks: unknown[], env: Record<string, string> = {}, options: NotificationOptions = {}): Notifications {
  const { notify } = loadSettings({ env: { ARBITER_NOTIFY_WEBHOOKS: JSON.stringify(webhooks), ARBITER_NOTIFY_RETRY_BASE: "20ms", ...env } }).settings;
  const started = startNotifications(server.runtime, notify, { fallbackUrl: () => "http://127.0.0.1:1", pollMs: 50, ...options });
  open.push(started);
  return started;
}

async function receiver(port?: number): Promise<Receiver> {
  const started = await startReceiver(port);
  open.push(started);
  return started;
}

let deploys = 0;
/** A production deploy by release-pipeline: the sample policy opens an approval request for each distinct call. */
async function openApproval(args: Record<string, unknown> = {}): Promise<Decision> {
  const decision = await server.runtime.engine.decide(
    { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { build: ++deploys, ...args } },
    TEST_CALLER,
  );
  expect(decision.reason_code).toBe("APPROVAL_REQUIRED");
  return decision;
}

function notificationRecords(requestId: string): NotificationRecord[] {
  const out: NotificationRecord[] = [];
  for (let i = 0; i < server.runtime.ledger.size(); i++) {
    const record = JSON.parse(server.runtime.ledger.entry(i).toString("utf8")) as NotificationRecord;
    if (record.kind === "notification" && record.approval_request_id === requestId) out.push(record);
  }
  return out;
}

async function recordsOnce(requestId: string, count: number): Promise<NotificationRecord[]> {
  for (;;) {
    const found = notificationRecords(requestId);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("approver notifications", () => {
  it("POSTs the exact call with its arguments masked, the policy's note and the approve link, signed, and records the delivery", async () => {
    const hook = await receiver();
    const started = notifications([{ name: "release", url: `${hook.url}?token=query-secret`, secret: SECRET }], { ARBITER_PUBLIC_URL: PUBLIC });
    const decision = await openApproval({
      notes: "ship it with AKIAIOSFODNN7EXAMPLE",
      password: "hunter2",
      nested: { api_token: 12345, card: "4111 1111 1111 1111", owner: "ops@example.com" },
    });
    const [got] = await hook.waitFor(1);
    await started.notifier.idle();
    const id = decision.approval_request?.id as string;
    const body = JSON.parse(got?.body ?? "") as Record<string, unknown>;
    expect(body).toMatchObject({
      event: "approval.requested",
      approval_id: id,
      decision_id: decision.decision_id,
      requester: { id: "release-pipeline", type: "pipeline", owner: "alice" },
      call: {
        action: "deploy",
        resource: { type: "Environment", id: "production" },
        arguments: { build: deploys, notes: "ship it with [MASKED:secret]", password: "[MASKED:secret]", nested: { api_token: "[MASKED:secret]", card: "[MASKED:payment_card]", owner: "[MASKED:email]" } },
        masked_values: 5,
      },
      policy: { id: "production-approval", note: "A production deploy needs the approval of a release approver." },
      approver_role: "release-approver",
      expires_at: decision.approval_request?.expires_at,
      approve_url: `https://arbiter.example.com/console/#/approvals/${id}`,
      decision_url: `https://arbiter.example.com/console/#/decisions/${decision.decision_id}`,
    });
    for (const raw of ["AKIAIOSFODNN7EXAMPLE", "hunter2", "12345", "4111", "ops@example.com", SECRET]) expect(got?.body).not.toContain(raw);

    // A secret in the resource id itself is masked too.
    const odd = await server.runtime.engine.decide(
      { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production?token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", attributes: { tier: "production" } } },
      TEST_CALLER,
    );
    expect(odd.reason_code).toBe("APPROVAL_REQUIRED");
    const [, second] = await hook.waitFor(2);
    expect(second?.body).not.toContain("ghp_0123456789");
    expect(JSON.parse(second?.body ?? "")).toMatchObject({ call: { resource: { type: "Environment", id: "production?token=[MASKED:secret]" } } });

    const timestamp = Number(got?.headers[TIMESTAMP_HEADER]);
    const signature = String(got?.headers[SIGNATURE_HEADER]);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifySignature(SECRET, timestamp, got?.body ?? "", signature)).toBe(true);
    expect(verifySignature(SECRET, timestamp, (got?.body ?? "").replace("production", "staging"), signature)).toBe(false);
    expect(verifySignature(SECRET, timestamp + 1, got?.body ?? "", signature)).toBe(false);

    await started.notifier.idle();
    const [record, ...more] = notificationRecords(id);
    expect(more).toEqual([]);
    expect(record).toMatchObject({
      delivery_id: got?.headers[DELIVERY_HEADER],
      channel: { name: "release", format: "json", origin: `http://127.0.0.1:${hook.port}` },
      attempt: 1,
      outcome: "delivered",
      final: true,
      status: 200,
      correlation: { parent_decision_id: decision.decision_id },
    });
    // Neither the webhook's path nor its query enters the ledger.
    expect(JSON.stringify(record)).not.toMatch(/hooks|query-secret/);
    await started.close();
  });

  it("sends a Slack incoming-webhook body: text, blocks and a button to the approval", async () => {
    const hook = await receiver();
    const started = notifications([{ name: "slack", url: hook.url, format: "slack" }], { ARBITER_PUBLIC_URL: PUBLIC });
    const decision = await openApproval({ reason: "<!channel> & `rm -rf`" });
    const [got] = await hook.waitFor(1);
    await started.notifier.idle();
    await started.close();
    const id = decision.approval_request?.id as string;
    const body = JSON.parse(got?.body ?? "") as { text: string; blocks: { type: string; text?: { text: string }; elements?: { url?: string; type: string }[] }[] };
    expect(body.text).toBe(`Approval needed: release-pipeline (pipeline, owned by alice) asks for deploy on Environment::production (request ${id}, expires ${decision.approval_request?.expires_at})`);
    expect(body.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "actions"]);
    expect(body.blocks[1]?.text?.text).toContain(">A production deploy needs the approval of a release approver.");
    expect(body.blocks[4]?.elements?.[0]).toMatchObject({ type: "button", url: `https://arbiter.example.com/console/#/approvals/${id}` });
    // Slack's control sequences arrive escaped, and a backtick cannot close the code block.
    expect(body.blocks[3]?.text?.text).toContain("&lt;!channel&gt; &amp; 'rm -rf'");
    expect(got?.headers[SIGNATURE_HEADER]).toBeUndefined();
  });

  it("retries a receiver that is down, with backoff, until it is up, each attempt recorded", async () => {
    const gone = await startReceiver();
    const port = gone.port;
    await gone.close();
    const started = notifications([{ name: "flaky", url: `http://127.0.0.1:${port}/hook` }]);
    const decision = await openApproval();
    const id = decision.approval_request?.id as string;
    await recordsOnce(id, 2);
    const hook = await receiver(port);
    await started.notifier.idle();
    const records = notificationRecords(id);
    expect(records.map((r) => r.attempt)).toEqual(records.map((_, i) => i + 1));
    expect(records.at(-1)).toMatchObject({ outcome: "delivered", final: true, status: 200 });
    for (const failed of records.slice(0, -1)) expect(failed).toMatchObject({ outcome: "failed", final: false, error: "network error ECONNREFUSED" });
    expect(new Set(records.map((r) => r.delivery_id)).size).toBe(1);
    expect(hook.received.map((r) => r.headers[DELIVERY_HEADER])).toEqual([records[0]?.delivery_id]);
    await started.close();
  });

  it("gives up on a slow receiver after the timeout, and the decision never waited for it", async () => {
    const hook = await receiver();
    hook.answer.delayMs = 5000;
    const started = notifications([{ name: "slow", url: hook.url }], { ARBITER_NOTIFY_TIMEOUT: "200ms", ARBITER_NOTIFY_MAX_ATTEMPTS: "2" });
    const decision = await openApproval();
    const id = decision.approval_request?.id as string;
    expect(notificationRecords(id)).toEqual([]);
    await started.notifier.idle();
    expect(notificationRecords(id).map(({ attempt, outcome, final, error }) => ({ attempt, outcome, final, error }))).toEqual([
      { attempt: 1, outcome: "failed", final: false, error: "no answer within 200 ms" },
      { attempt: 2, outcome: "failed", final: true, error: "no answer within 200 ms" },
    ]);
    await started.close();
  });

  it("retries 500 up to max_attempts and does not retry 404", async () => {
    const hook = await receiver();
    hook.answer.status = 500;
    const started = notifications([{ name: "broken", url: hook.url }], { ARBITER_NOTIFY_MAX_ATTEMPTS: "3" });
    const first = await openApproval();
    await started.notifier.idle();
    expect(notificationRecords(first.approval_request?.id as string).map(({ attempt, outcome, final, status }) => ({ attempt, outcome, final, status }))).toEqual([
      { attempt: 1, outcome: "failed", final: false, status: 500 },
      { attempt: 2, outcome: "failed", final: false, status: 500 },
      { attempt: 3, outcome: "failed", final: true, status: 500 },
    ]);
    expect(hook.received).toHaveLength(3);

    hook.answer.status = 404;
    const second = await openApproval();
    await started.notifier.idle();
    expect(notificationRecords(second.approval_request?.id as string)).toMatchObject([{ attempt: 1, outcome: "failed", final: true, status: 404, error: "the receiver answered 404" }]);
    await started.close();
  });

  it("records a delivery the full outbox cannot take as dropped; one cut short by shutdown stays in the outbox and the next process delivers it, same delivery id", async () => {
    const hook = await receiver();
    hook.answer.delayMs = 5000;
    const started = notifications([{ name: "one", url: hook.url }, { name: "two", url: hook.url }], { ARBITER_NOTIFY_QUEUE_SIZE: "1" });
    const decision = await openApproval();
    const id = decision.approval_request?.id as string;
    await hook.waitFor(1);
    await started.close();
    const records = notificationRecords(id);
    expect(records.find((r) => r.channel.name === "two")).toMatchObject({ outcome: "dropped", final: true, attempt: 1, error: "the notification queue is full (1 deliveries)" });
    expect(records.filter((r) => r.channel.name === "one").map(({ attempt, outcome, final, error }) => ({ attempt, outcome, final, error }))).toEqual([
      { attempt: 1, outcome: "failed", final: false, error: "Arbiter stopped during the attempt" },
    ]);
    expect(started.notifier.pending).toBe(1);

    hook.answer.delayMs = 0;
    const next = notifications([{ name: "one", url: hook.url }]);
    await next.notifier.idle();
    expect(next.notifier.pending).toBe(0);
    const [first, second] = await hook.waitFor(2);
    expect(second?.headers[DELIVERY_HEADER]).toBe(first?.headers[DELIVERY_HEADER]);
    expect(second?.headers[IDEMPOTENCY_HEADER]).toBe(first?.headers[DELIVERY_HEADER]);
    expect(second?.body).toBe(first?.body);
    expect(notificationRecords(id).filter((r) => r.channel.name === "one").map(({ attempt, outcome, final }) => ({ attempt, outcome, final }))).toEqual([
      { attempt: 1, outcome: "failed", final: false },
      { attempt: 2, outcome: "delivered", final: true },
    ]);
    await next.close();
  });
});

describe("a webhook removed from the settings", () => {
  it("leaves its deliveries in the outbox for an hour, then they are dropped, each with a final record saying why, and sent nowhere else", async () => {
    const outbox = server.runtime.store.notifyOutbox;
    const before = outbox.size();
    const kept = await receiver();
    const current = await receiver();
    // A process configured with the webhook "retired" writes the delivery and stops before sending it (as arbiter decide does).
    const writer = notifications([{ name: "retired", url: kept.url }], {}, { deliver: false });
    const decision = await openApproval();
    const id = decision.approval_request?.id as string;
    await writer.close();
    expect(outbox.size()).toBe(before + 1);

    // The settings now name another webhook: within the grace period the delivery waits (the webhook may come back).
    const within = notifications([{ name: "current", url: current.url }]);
    await within.notifier.idle();
    await within.close();
    expect(outbox.size()).toBe(before + 1);
    expect(notificationRecords(id)).toEqual([]);

    // Past it, the delivery is dropped with a record, and neither receiver got its body.
    const past = notifications([{ name: "current", url: current.url }], {}, { orphanGraceMs: 0 });
    await recordsOnce(id, 1);
    await past.notifier.idle();
    await past.close();
    expect(notificationRecords(id).map(({ channel, attempt, outcome, final, error }) => ({ channel, attempt, outcome, final, error }))).toEqual([
      { channel: { name: "retired" }, attempt: 1, outcome: "dropped", final: true, error: "no webhook named retired is configured any more" },
    ]);
    expect(outbox.size()).toBe(before);
    expect(kept.received).toHaveLength(0);
    expect(current.received).toHaveLength(0);

    // A process with no webhook at all drops them too (all webhooks removed).
    const again = notifications([{ name: "retired", url: kept.url }], {}, { deliver: false });
    const second = await openApproval();
    await again.close();
    const none = startNotifications(server.runtime, loadSettings({ env: {} }).settings.notify, { pollMs: 50, orphanGraceMs: 0 });
    open.push(none);
    expect(await recordsOnce(second.approval_request?.id as string, 1)).toMatchObject([{ channel: { name: "retired" }, outcome: "dropped", final: true }]);
    await none.close();
    expect(outbox.size()).toBe(before);
  });
});

describe("webhook settings", () => {
  const load = (webhooks: unknown): (() => unknown) => () => loadSettings({ env: { ARBITER_NOTIFY_WEBHOOKS: JSON.stringify(webhooks) } });

  it("refuses a URL with a user name or password, another scheme, a short secret and a name given twice, without printing the secret", () => {
    const hooks = [
      { name: "a", url: "https://user:pa55word@hooks.example.com/x", secret: "s3cr3t-signing-key-123" },
      { name: "b", url: "ftp://hooks.example.com/x" },
      { name: "c", url: "https://hooks.example.com/x", secret: "short-s3cr3t" },
      { name: "c", url: "https://hooks.example.com/y" },
    ];
    expect(load(hooks)).toThrow(/SETTINGS_INVALID|0\.url: must not hold a user name or password.*1\.url: must use http or https, not ftp.*2\.secret: must have at least 16 characters.*3\.name: names the webhook c twice/);
    let message = "";
    try {
      load(hooks)();
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("ARBITER_NOTIFY_WEBHOOKS must be a list of webhooks");
    for (const secret of ["pa55word", "s3cr3t", "hooks.example.com/x"]) expect(message).not.toContain(secret);
  });

  it("shows a webhook by name, origin and format only", async () => {
    const { formatSetting } = await import("../../src/runtime/settings/index.js");
    const { settings } = loadSettings({ env: { ARBITER_NOTIFY_WEBHOOKS: JSON.stringify([{ name: "ops", url: "https://hooks.example.com/services/T0/B0/XYZ?x=1", format: "slack", secret: SECRET }]) } });
    expect(formatSetting("notify.webhooks", settings.notify.webhooks)).toBe("ops https://hooks.example.com (slack, signed)");
  });
});
