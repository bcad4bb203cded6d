// A delivery leaves the notification outbox in the same commit as the record that says how it ended:
// never without its record, and never recorded as ended twice.
import { afterAll, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/index.js";
import { ApproverNotifier } from "../../src/notify/index.js";
import type { NotificationRecord } from "../../src/record/index.js";
import type { NotifyOutboxRepository, OutboxEntry } from "../../src/store/index.js";
import { freshLedger } from "../support/ledger.js";
import { startReceiver, type Receiver } from "./receiver.js";

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const thing of opened.reverse()) await thing.close();
});

const entry = (id: string): OutboxEntry => ({
  deliveryId: id,
  webhook: "approvers",
  event: "approval.requested",
  body: `{"n":"${id}"}`,
  approvalRequestId: `apr_${id}`,
  decisionId: `dec_${id}`,
  createdAt: new Date().toISOString(),
});

function notificationRecords(ledger: Ledger): NotificationRecord[] {
  const out: NotificationRecord[] = [];
  for (let i = 0; i < ledger.size(); i++) {
    const record = JSON.parse(ledger.entry(i).toString("utf8")) as NotificationRecord;
    if (record.kind === "notification") out.push(record);
  }
  return out;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * A data directory with delivery `id` in its outbox for a real receiver, and a notifier started on it
 * that records through `recordThrough` (the directory's own ledger unless given) and keeps its warnings.
 */
async function delivering(id: string, recordThrough?: Pick<Ledger, "append">): Promise<{ ledger: Ledger; outbox: NotifyOutboxRepository; hook: Receiver; notifier: ApproverNotifier; warnings: string[] }> {
  const { ledger, store } = freshLedger();
  opened.push(ledger);
  const hook = await startReceiver();
  opened.push(hook);
  store.notifyOutbox.enqueue([entry(id)], Date.now(), 10);
  const warnings: string[] = [];
  const notifier = new ApproverNotifier(
    { ledger: recordThrough ?? ledger, outbox: store.notifyOutbox, warn: (line) => warnings.push(line) },
    { webhooks: [{ name: "approvers", url: hook.url, format: "json" }], timeoutMs: 2000, maxAttempts: 3, queueSize: 10, retryBaseMs: 20, retryMaxMs: 100, pollMs: 20 },
  );
  opened.push(notifier);
  notifier.start();
  return { ledger, outbox: store.notifyOutbox, hook, notifier, warnings };
}

it("removes a delivered notification from the outbox with its final record, in one commit", async () => {
  const { ledger, outbox, hook, notifier, warnings } = await delivering("a");
  await notifier.idle();
  expect(hook.received).toHaveLength(1);
  expect(notificationRecords(ledger)).toMatchObject([{ delivery_id: "a", outcome: "delivered", final: true, attempt: 1 }]);
  expect(outbox.size()).toBe(0);
  expect(warnings).toEqual([]);
});

it("keeps a delivery whose final record could not be written in the outbox, to be tried again, rather than ending it unrecorded", async () => {
  const refusing: Pick<Ledger, "append"> = { append: () => Promise.reject(new Error("the ledger is full")) };
  const { ledger, outbox, hook, notifier, warnings } = await delivering("b", refusing);
  await until(() => warnings.length > 0);
  expect(hook.received).toHaveLength(1);
  expect(warnings[0]).toMatch(/notification b \(approvers, attempt 1\) could not be recorded: the ledger is full/);
  await notifier.close();
  expect(outbox.size()).toBe(1);
  expect(notificationRecords(ledger)).toEqual([]);
});

it("leaves the outbox untouched when the record the removal came with is refused", async () => {
  const { ledger, store } = freshLedger();
  opened.push(ledger);
  store.notifyOutbox.enqueue([entry("c")], Date.now(), 10);
  const [held] = store.notifyOutbox.claim(["approvers"], Date.now(), 60_000, "p1", 1);
  const record = {
    kind: "notification",
    approval_request_id: "apr_c",
    delivery_id: "c",
    channel: { name: "approvers" },
    attempt: 1,
    outcome: "delivered",
    final: true,
    correlation: { parent_decision_id: "dec_c" },
  } as const;
  // A second effect that cannot apply (no such grant) refuses the record, and the removal with it.
  await expect(ledger.append(record, { effects: [{ type: "notify.finish", deliveryId: "c", owner: "p1" }, { type: "grant.revoke", id: "grt_missing" }] })).rejects.toThrow(/CONFLICT|grant/);
  expect(store.notifyOutbox.size()).toBe(1);
  // Another process's removal (the lease is p1's) changes nothing; p1's own, with its record, does.
  await ledger.append(record, { effects: [{ type: "notify.finish", deliveryId: "c", owner: "p2" }] });
  expect(store.notifyOutbox.size()).toBe(1);
  await ledger.append(record, { effects: [{ type: "notify.finish", deliveryId: held?.deliveryId ?? "", owner: "p1" }] });
  expect(store.notifyOutbox.size()).toBe(0);
});
