// The notify outbox on PostgreSQL: bounded, taken by a lease one replica at a time, finished only by
// its holder, with orphans of retired webhooks taken without counting an attempt.
import { describe, expect, it } from "vitest";
import type { OutboxEntry } from "../../../src/store/contracts/notify-outbox.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgNotifyOutbox } from "../../../src/store/postgres/notify-outbox.js";
import { freshPgConnection } from "../../support/postgres.js";
import { otherReplica, waitUntilSomeoneWaitsOn } from "./other-replica.js";

const T0 = "2026-12-06T10:00:00.000Z";
const HOOKS = ["approvers"];

function entry(id: string, webhook = "approvers", createdAt = T0): OutboxEntry {
  return { deliveryId: id, webhook, event: "approval.requested", body: `{"n":"${id}"}`, approvalRequestId: `apr_${id}`, decisionId: `dec_${id}`, createdAt };
}

/** An outbox on a fresh schema, and a second replica's connection to the same schema. */
function replicas(): { conn: PgConnection; other: PgConnection; one: PgNotifyOutbox; two: PgNotifyOutbox; close(): void } {
  const conn = freshPgConnection();
  const other = PgConnection.open(conn.location);
  return { conn, other, one: new PgNotifyOutbox(conn), two: new PgNotifyOutbox(other), close: () => { other.close(); conn.close(); } };
}

describe("PgNotifyOutbox", () => {
  it("takes deliveries while it holds fewer than its capacity, from the first, counting every webhook's and held ones", () => {
    const r = replicas();
    try {
      const outbox = r.one;
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
      expect(outbox.claim(HOOKS, 2000, 500, "p1", 10).map((d) => d.deliveryId)).toEqual(["a", "c"]);
    } finally {
      r.close();
    }
  });

  it("leases a due delivery to one owner until the lease runs out, counting each attempt, and hands out no more than the limit", () => {
    const r = replicas();
    try {
      const outbox = r.one;
      outbox.enqueue([entry("a"), entry("b"), entry("c")], 1000, 10);
      expect(outbox.claim(HOOKS, 999, 500, "p1", 10)).toEqual([]);
      expect(outbox.claim(HOOKS, 1000, 500, "p1", 0)).toEqual([]);
      expect(outbox.claim(HOOKS, 1000, 500, "p1", -1)).toEqual([]);
      expect(outbox.claim([], 1000, 500, "p1", 10)).toEqual([]);
      const first = outbox.claim(HOOKS, 1000, 500, "p1", 2);
      expect(first).toHaveLength(2);
      expect(first[0]).toEqual({ ...entry(first[0]?.deliveryId ?? ""), attempts: 1 });
      const [third] = r.two.claim(HOOKS, 1000, 1000, "p2", 10);
      expect([...first.map((d) => d.deliveryId), third?.deliveryId].sort()).toEqual(["a", "b", "c"]);
      expect(outbox.claim(HOOKS, 1499, 500, "p2", 10)).toEqual([]);
      expect(outbox.nextDueMs(HOOKS)).toBe(1500);
      expect(outbox.nextDueMs(["elsewhere"])).toBeUndefined();
      expect(outbox.nextDueMs([])).toBeUndefined();
      // p1 is gone: once its lease ran out, p2 takes its deliveries, as their second attempt.
      const taken = r.two.claim(HOOKS, 1500, 500, "p2", 10);
      expect(taken.map((d) => [d.deliveryId, d.attempts]).sort()).toEqual(first.map((d) => [d.deliveryId, 2]).sort());
      expect(outbox.size()).toBe(3);
    } finally {
      r.close();
    }
  });

  it("hands out the deliveries that fell due first", () => {
    const r = replicas();
    try {
      r.one.enqueue([entry("late")], 2000, 10);
      r.one.enqueue([entry("early")], 1000, 10);
      expect(r.one.claim(HOOKS, 3000, 500, "p1", 1).map((d) => d.deliveryId)).toEqual(["early"]);
      expect(r.one.claim(HOOKS, 3000, 500, "p1", 10).map((d) => d.deliveryId)).toEqual(["late"]);
    } finally {
      r.close();
    }
  });

  it("changes nothing on a retry or a finish from an owner that does not hold the delivery", () => {
    const r = replicas();
    try {
      const outbox = r.one;
      const finish = (deliveryId: string, owner: string): void => r.conn.transaction(() => outbox.finish(deliveryId, owner));
      outbox.enqueue([entry("a")], 1000, 10);
      finish("a", "p1");
      expect(outbox.size()).toBe(1);
      outbox.claim(HOOKS, 1000, 500, "p1", 10);
      expect(r.two.claim(HOOKS, 1500, 500, "p2", 10)).toMatchObject([{ deliveryId: "a", attempts: 2 }]);
      // p1's late answers: the delivery is p2's now.
      finish("a", "p1");
      outbox.retryAt("a", "p1", 0);
      expect(outbox.size()).toBe(1);
      expect(outbox.nextDueMs(HOOKS)).toBe(2000);
      expect(outbox.claim(HOOKS, 1999, 500, "p3", 10)).toEqual([]);
      r.two.retryAt("a", "p2", 5000);
      expect(outbox.nextDueMs(HOOKS)).toBe(5000);
      // Given back, it is p2's no more: its finish is a no-op too.
      finish("a", "p2");
      expect(outbox.pendingFor(HOOKS)).toBe(1);
      expect(outbox.claim(HOOKS, 4999, 500, "p3", 10)).toEqual([]);
      expect(outbox.claim(HOOKS, 5000, 500, "p3", 10)).toMatchObject([{ deliveryId: "a", attempts: 3 }]);
      finish("a", "p3");
      expect(outbox.size()).toBe(0);
      expect(outbox.nextDueMs(HOOKS)).toBeUndefined();
    } finally {
      r.close();
    }
  });

  it("keeps a finished delivery when the transaction of the record that finished it rolls back", () => {
    const r = replicas();
    try {
      r.one.enqueue([entry("a")], 1000, 10);
      r.one.claim(HOOKS, 1000, 60_000, "p1", 1);
      expect(() =>
        r.conn.transaction(() => {
          r.one.finish("a", "p1");
          throw new Error("the record was refused");
        }),
      ).toThrow(/refused/);
      expect(r.two.size()).toBe(1);
      r.conn.transaction(() => r.one.finish("a", "p1"));
      expect(r.two.size()).toBe(0);
    } finally {
      r.close();
    }
  });

  it("takes as orphans only deliveries nobody holds, written at or before the cut, for webhooks not its own, counting no attempt", () => {
    const r = replicas();
    try {
      const outbox = r.one;
      const cut = "2026-12-06T10:00:00.001Z";
      outbox.enqueue([entry("a", "retired"), entry("b", "retired", cut), entry("c", "retired", "2026-12-06T10:00:00.002Z"), entry("d", "approvers")], 1000, 10);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", 0)).toEqual([]);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", -1)).toEqual([]);
      expect(outbox.claimOrphans(HOOKS, T0, 1000, 500, "p1", 10)).toEqual([{ ...entry("a", "retired"), attempts: 0 }]);
      expect(r.two.claimOrphans(HOOKS, cut, 1000, 500, "p2", 10).map((d) => d.deliveryId)).toEqual(["b"]);
      expect(outbox.claimOrphans(["approvers", "retired"], cut, 1500, 500, "p2", 10)).toEqual([]);
      // Held as orphans, they are no one's to claim until the lease runs out; the attempt is counted then.
      expect(outbox.claim(["retired"], 1499, 500, "p3", 10).map((d) => d.deliveryId)).toEqual(["c"]);
      expect(outbox.claim(["retired"], 1500, 500, "p3", 10).map((d) => [d.deliveryId, d.attempts]).sort()).toEqual([["a", 1], ["b", 1]]);
      expect(outbox.pendingFor(HOOKS)).toBe(1);
      // With no webhook of its own, every delivery is an orphan.
      expect(outbox.claimOrphans([], cut, 1500, 500, "p4", 10).map((d) => d.deliveryId)).toEqual(["d"]);
    } finally {
      r.close();
    }
  });

  it("never hands one delivery to two replicas claiming at once: a row another is taking is passed over, not waited for", () => {
    const r = replicas();
    try {
      r.one.enqueue([entry("a"), entry("b"), entry("c")], 1000, 10);
      r.conn.transaction(() => {
        expect(r.one.claim(HOOKS, 1000, 500, "p1", 2).map((d) => d.deliveryId)).toEqual(["a", "b"]);
        // p1's claim is not committed yet: p2 neither sees it nor blocks on it, and gets the rest.
        expect(r.two.claim(HOOKS, 1000, 500, "p2", 10).map((d) => d.deliveryId)).toEqual(["c"]);
        expect(r.two.claimOrphans([], "2026-12-06T10:00:01.000Z", 1000, 500, "p2", 10)).toEqual([]);
      });
      expect(r.two.claim(HOOKS, 1000, 500, "p2", 10)).toEqual([]);
      expect(r.two.claim(HOOKS, 1500, 500, "p2", 10).map((d) => [d.deliveryId, d.attempts])).toEqual([["a", 2], ["b", 2], ["c", 2]]);
    } finally {
      r.close();
    }
  });

  it("never fills past its capacity from two replicas enqueueing at once", async () => {
    const r = replicas();
    try {
      const theirs = await otherReplica(r.conn.location, "notify-outbox", "PgNotifyOutbox", "enqueue", [[entry("x"), entry("y")], 1000, 3]);
      r.conn.transaction(() => {
        expect(r.one.enqueue([entry("a"), entry("b")], 1000, 3)).toBe(2);
        theirs.go();
        waitUntilSomeoneWaitsOn(r.conn);
      });
      expect(await theirs.outcome).toEqual({ ok: true, result: 1 });
      expect(r.two.size()).toBe(3);
      expect(r.two.claim(HOOKS, 1000, 500, "p1", 10).map((d) => d.deliveryId)).toEqual(["a", "b", "x"]);
    } finally {
      r.close();
    }
  });

  it("writes nothing of a batch holding a delivery already written, and stays usable", () => {
    const r = replicas();
    try {
      r.one.enqueue([entry("a")], 1000, 10);
      expect(() => r.one.enqueue([entry("b"), entry("a")], 1000, 10)).toThrow(/duplicate key/);
      expect(r.conn.inTransaction).toBe(false);
      expect(r.one.size()).toBe(1);
      expect(r.one.enqueue([entry("b")], 1000, 10)).toBe(1);
    } finally {
      r.close();
    }
  });
});
