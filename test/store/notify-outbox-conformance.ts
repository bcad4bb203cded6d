// The notification outbox part of the store conformance suite: a bounded outbox, deliveries taken by a
// lease one owner at a time, orphans of retired webhooks, and the removal committed with a ledger entry.
import { describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/index.js";
import type { NotifyOutboxRepository, OutboxEntry, StoreEffect } from "../../src/store/index.js";
import { refusedCode } from "../support/errors.js";
import { commitWith, freshStore } from "./conformance-support.js";

export interface OutboxStoreUnderTest {
  ledger: Ledger;
  notifyOutbox: NotifyOutboxRepository;
  close(): Promise<void>;
}

const T0 = "2026-12-06T10:00:00.000Z";
const HOOKS = ["approvers"];

function entry(id: string, webhook = "approvers", createdAt = T0): OutboxEntry {
  return { deliveryId: id, webhook, event: "approval.requested", body: `{"n":"${id}"}`, approvalRequestId: `apr_${id}`, decisionId: `dec_${id}`, createdAt };
}

export function notifyOutboxConformance(name: string, open: () => Promise<OutboxStoreUnderTest> | OutboxStoreUnderTest): void {
  describe(`${name}: the notify outbox contract`, () => {
    let n = 0;
    const commit = (s: OutboxStoreUnderTest, effects: StoreEffect[]): Promise<number> => commitWith(s.ledger, n++, effects);
    const withStore = freshStore(open);

    it("takes deliveries while it holds fewer than its capacity, from the first, counting every webhook's and held ones", withStore((s) => {
      const outbox = s.notifyOutbox;
      expect(outbox.size()).toBe(0);
      expect(outbox.nextDueMs(HOOKS)).toBeUndefined();
      expect(outbox.enqueue([entry("a"), entry("b", "elsewhere")], 1000, 3)).toBe(2);
      expect(outbox.claim(HOOKS, 1000, 500, "p1", 10).map((d) => d.deliveryId)).toEqual(["a"]);
      expect(outbox.enqueue([entry("c"), entry("d")], 1000, 3)).toBe(1);
      expect(outbox.enqueue([entry("e")], 1000, 3)).toBe(0);
      expect(outbox.enqueue([], 1000, 3)).toBe(0);
      expect(outbox.size()).toBe(3);
      expect(outbox.pendingFor(HOOKS)).toBe(2);
      expect(outbox.pendingFor(["elsewhere"])).toBe(1);
      expect(outbox.pendingFor(["approvers", "elsewhere"])).toBe(3);
      expect(outbox.pendingFor([])).toBe(0);
      expect(outbox.claim(HOOKS, 2000, 500, "p1", 10).map((d) => d.deliveryId).sort()).toEqual(["a", "c"]);
    }));

    it("leases a due delivery to one owner until the lease runs out, counting each attempt, and hands out no more than the limit", withStore((s) => {
      const outbox = s.notifyOutbox;
      outbox.enqueue([entry("a"), entry("b"), entry("c")], 1000, 10);
      expect(outbox.claim(HOOKS, 999, 500, "p1", 10)).toEqual([]);
      expect(outbox.claim(HOOKS, 1000, 500, "p1", 0)).toEqual([]);
      expect(outbox.claim([], 1000, 500, "p1", 10)).toEqual([]);
      const first = outbox.claim(HOOKS, 1000, 500, "p1", 2);
      expect(first).toHaveLength(2);
      expect(first[0]).toEqual({ ...entry(first[0]?.deliveryId ?? ""), attempts: 1 });
      const [third] = outbox.claim(HOOKS, 1000, 1000, "p2", 10);
      expect([...first.map((d) => d.deliveryId), third?.deliveryId].sort()).toEqual(["a", "b", "c"]);
      expect(outbox.claim(HOOKS, 1499, 500, "p2", 10)).toEqual([]);
      expect(outbox.nextDueMs(HOOKS)).toBe(1500);
      expect(outbox.nextDueMs(["elsewhere"])).toBeUndefined();
      // p1 is gone: once its lease ran out, p2 takes its deliveries, as their second attempt.
      const taken = outbox.claim(HOOKS, 1500, 500, "p2", 10);
      expect(taken.map((d) => [d.deliveryId, d.attempts]).sort()).toEqual(first.map((d) => [d.deliveryId, 2]).sort());
      expect(outbox.size()).toBe(3);
    }));

    it("changes nothing on a retry or a finish from an owner that does not hold the delivery", withStore(async (s) => {
      const finish = (deliveryId: string, owner: string): Promise<number> => commit(s, [{ type: "notify.finish", deliveryId, owner }]);
      const outbox = s.notifyOutbox;
      outbox.enqueue([entry("a")], 1000, 10);
      await finish("a", "p1");
      expect(outbox.size()).toBe(1);
      outbox.claim(HOOKS, 1000, 500, "p1", 10);
      expect(outbox.claim(HOOKS, 1500, 500, "p2", 10)).toMatchObject([{ deliveryId: "a", attempts: 2 }]);
      // p1's late answers: the delivery is p2's now.
      await finish("a", "p1");
      outbox.retryAt("a", "p1", 0);
      expect(outbox.size()).toBe(1);
      expect(outbox.nextDueMs(HOOKS)).toBe(2000);
      expect(outbox.claim(HOOKS, 1999, 500, "p3", 10)).toEqual([]);
      outbox.retryAt("a", "p2", 5000);
      expect(outbox.nextDueMs(HOOKS)).toBe(5000);
      // Given back, it is p2's no more: its finish is a no-op too.
      await finish("a", "p2");
      expect(outbox.pendingFor(HOOKS)).toBe(1);
      expect(outbox.claim(HOOKS, 4999, 500, "p3", 10)).toEqual([]);
      expect(outbox.claim(HOOKS, 5000, 500, "p3", 10)).toMatchObject([{ deliveryId: "a", attempts: 3 }]);
      await finish("a", "p3");
      expect(outbox.size()).toBe(0);
      expect(outbox.nextDueMs(HOOKS)).toBeUndefined();
    }));

    it("takes as orphans only deliveries nobody holds, written at or before the cut, for webhooks not its own, counting no attempt", withStore((s) => {
      const outbox = s.notifyOutbox;
      const cut = "2026-12-06T10:00:00.001Z";
      outbox.enqueue([entry("a", "retired"), entry("b", "retired", cut), entry("c", "retired", "2026-12-06T10:00:00.002Z"), entry("d", "approvers")], 1000, 10);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", 0)).toEqual([]);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", -1)).toEqual([]);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", 10)).toEqual([{ ...entry("a", "retired"), attempts: 0 }]);
      expect(outbox.claimOrphans(HOOKS, cut, 1000, 500, "p2", 10).map((d) => d.deliveryId)).toEqual(["b"]);
      expect(outbox.claimOrphans(["approvers", "retired"], cut, 1500, 500, "p2", 10)).toEqual([]);
      // Held as orphans, they are no one's to claim until the lease runs out; the attempt is counted then.
      expect(outbox.claim(["retired"], 1499, 500, "p3", 10).map((d) => d.deliveryId)).toEqual(["c"]);
      expect(outbox.claim(["retired"], 1500, 500, "p3", 10).map((d) => [d.deliveryId, d.attempts]).sort()).toEqual([["a", 1], ["b", 1]]);
      expect(outbox.pendingFor(HOOKS)).toBe(1);
    }));

    it("removes a held delivery with the entry that says how it ended, and keeps it when that entry is refused", withStore(async (s) => {
      const outbox = s.notifyOutbox;
      outbox.enqueue([entry("a")], 1000, 10);
      outbox.claim(HOOKS, 1000, 60_000, "p1", 1);
      const size = s.ledger.size();
      expect(await refusedCode(commit(s, [{ type: "notify.finish", deliveryId: "a", owner: "p1" }, { type: "grant.revoke", id: "no-such-grant" }]))).toBe("CONFLICT");
      expect(s.ledger.size()).toBe(size);
      expect(outbox.size()).toBe(1);
      // Another owner's removal commits its entry and leaves the delivery.
      expect(await commit(s, [{ type: "notify.finish", deliveryId: "a", owner: "p2" }])).toBe(size);
      expect(outbox.size()).toBe(1);
      await commit(s, [{ type: "notify.finish", deliveryId: "a", owner: "p1" }]);
      expect(outbox.size()).toBe(0);
    }));
  });
}
