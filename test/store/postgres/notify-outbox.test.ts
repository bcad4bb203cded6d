// The notify outbox on PostgreSQL: bounded, taken by a lease one replica at a time, finished only by
// its holder, with orphans of retired webhooks taken without counting an attempt.
import { describe, expect, it } from "vitest";
import type { OutboxEntry } from "../../../src/store/contracts/notify-outbox.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgNotifyOutbox } from "../../../src/store/postgres/notify-outbox.js";
import { freshPgConnection } from "../../support/postgres.js";

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
});
