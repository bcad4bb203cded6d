// The notification outbox in the data directory's database: bounded, taken by a lease one process at a time, kept across a reopen.
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { openDatabase, SqliteNotifyOutbox, type OutboxEntry, type SqliteDatabase } from "../../src/store/index.js";
import { tempDir } from "../support/cli.js";

const opened: SqliteDatabase[] = [];
afterAll(() => opened.forEach((db) => db.close()));

function open(path: string): SqliteNotifyOutbox {
  const db = openDatabase(path, { create: true });
  opened.push(db);
  return new SqliteNotifyOutbox(db);
}

const entry = (id: string, webhook = "approvers"): OutboxEntry => ({ deliveryId: id, webhook, event: "approval.requested", body: `{"n":"${id}"}`, approvalRequestId: `apr_${id}`, decisionId: `dec_${id}`, createdAt: "2026-12-06T00:00:00.000Z" });

it("takes deliveries up to its capacity, from the first", () => {
  const outbox = open(join(tempDir("arbiter-outbox-"), "store.db"));
  expect(outbox.enqueue([entry("a"), entry("b")], 1000, 3)).toBe(2);
  expect(outbox.enqueue([entry("c"), entry("d")], 1000, 3)).toBe(1);
  expect(outbox.size()).toBe(3);
});

it("leases a due delivery to one owner, counts the attempt, and gives it to another only once the lease ran out", () => {
  const path = join(tempDir("arbiter-outbox-"), "store.db");
  const one = open(path);
  const two = open(path);
  one.enqueue([entry("a")], 1000, 10);
  expect(one.claim(["approvers"], 1000, 500, "p1", 4)).toMatchObject([{ deliveryId: "a", attempts: 1, body: '{"n":"a"}' }]);
  expect(two.claim(["approvers"], 1400, 500, "p2", 4)).toEqual([]);
  // p1 is gone (a crash): once its lease ran out, p2 takes the delivery, as the second attempt.
  expect(two.claim(["approvers"], 1500, 500, "p2", 4)).toMatchObject([{ deliveryId: "a", attempts: 2 }]);
  // p1's late answer changes nothing that is p2's now.
  one.finish("a", "p1");
  one.retryAt("a", "p1", 0);
  expect(two.pendingFor(["approvers"])).toBe(1);
  expect(two.nextDueMs(["approvers"])).toBe(2000);
  two.retryAt("a", "p2", 5000);
  expect(two.claim(["approvers"], 4999, 500, "p2", 4)).toEqual([]);
  expect(open(path).claim(["approvers"], 5000, 500, "p3", 4)).toMatchObject([{ deliveryId: "a", attempts: 3 }]);
});

it("gives a process only the deliveries of webhooks it has: a row naming another webhook is never sent to one of its URLs", () => {
  const outbox = open(join(tempDir("arbiter-outbox-"), "store.db"));
  outbox.enqueue([entry("a", "approvers"), entry("b", "elsewhere")], 1000, 10);
  expect(outbox.claim(["approvers"], 1000, 500, "p1", 4).map((d) => d.deliveryId)).toEqual(["a"]);
  expect(outbox.claim([], 1000, 500, "p1", 4)).toEqual([]);
  expect(outbox.pendingFor(["approvers"])).toBe(1);
  expect(outbox.pendingFor(["elsewhere"])).toBe(1);
  outbox.finish("a", "p1");
  expect(outbox.pendingFor(["approvers"])).toBe(0);
});

it("counts a delivery written in the sweep's own millisecond as orphaned once the grace period is over, not only older ones", () => {
  const outbox = open(join(tempDir("arbiter-outbox-"), "store.db"));
  outbox.enqueue([entry("a", "retired"), { ...entry("b", "retired"), createdAt: "2026-12-06T00:00:00.001Z" }, entry("c", "approvers")], 1000, 10);
  expect(outbox.claimOrphans(["approvers"], "2026-12-06T00:00:00.000Z", 1000, 500, "p1", 10).map((d) => d.deliveryId)).toEqual(["a"]);
  expect(outbox.claimOrphans(["approvers"], "2026-12-06T00:00:00.001Z", 1000, 500, "p2", 10).map((d) => d.deliveryId)).toEqual(["b"]);
});
