// The outbox of approver notifications in PostgreSQL: deliveries written before anyone is told, taken by a lease, deleted once they end.
import type { NotifyOutboxRepository, OutboxDelivery, OutboxEntry } from "../contracts/notify-outbox.js";
import type { PgConnection } from "./connection.js";
import { inOneTransaction } from "./one-transaction.js";
import { deliveryOf, type OutboxRow } from "../rows/outbox-row.js";

/**
 * Serialises the writers of the outbox across replicas, so that two enqueues never both count the
 * same room and together fill it past its capacity (SQLite gets this from its one writer).
 */
const LOCK_OUTBOX = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '/arbiter.notify_outbox'))";

// The entries travel as one array per column, so that any number of them is one statement; those
// past the room left are not inserted, in the order given.
const ENQUEUE = `WITH room AS (SELECT greatest(0, $9::bigint - count(*)) AS n FROM notify_outbox)
  INSERT INTO notify_outbox (delivery_id, webhook, event, body, approval_request_id, decision_id, next_at_ms, created_at)
  SELECT e.delivery_id, e.webhook, e.event, e.body, e.approval_request_id, e.decision_id, $8, e.created_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    WITH ORDINALITY AS e (delivery_id, webhook, event, body, approval_request_id, decision_id, created_at, n)
  WHERE e.n <= (SELECT n FROM room) ORDER BY e.n RETURNING delivery_id`;

const DELIVERY = "delivery_id, webhook, event, body, approval_request_id, decision_id, attempts, created_at";

// FOR UPDATE SKIP LOCKED: a row another replica is taking right now is passed over rather than
// waited for, and a row it took and committed since this statement began is re-checked against the
// lease condition before it is locked, so no two replicas ever hold one delivery.
const TAKE_DUE = `WITH taken AS (
    UPDATE notify_outbox SET attempts = attempts + 1, lease_until_ms = $1, lease_owner = $2
    WHERE delivery_id IN (SELECT delivery_id FROM notify_outbox WHERE webhook = ANY($3::text[]) AND next_at_ms <= $4 AND lease_until_ms <= $4
      ORDER BY next_at_ms LIMIT $5 FOR UPDATE SKIP LOCKED)
    RETURNING ${DELIVERY}, next_at_ms)
  SELECT ${DELIVERY} FROM taken ORDER BY next_at_ms, delivery_id`;
const TAKE_ORPHANS = `WITH taken AS (
    UPDATE notify_outbox SET lease_until_ms = $1, lease_owner = $2
    WHERE delivery_id IN (SELECT delivery_id FROM notify_outbox WHERE webhook <> ALL($3::text[]) AND created_at <= $4 AND lease_until_ms <= $5
      ORDER BY created_at LIMIT $6 FOR UPDATE SKIP LOCKED)
    RETURNING ${DELIVERY})
  SELECT ${DELIVERY} FROM taken ORDER BY created_at, delivery_id`;

export class PgNotifyOutbox implements NotifyOutboxRepository {
  constructor(private readonly conn: PgConnection) {}

  /**
   * Takes (as claim does, without counting an attempt) up to `limit` deliveries nobody holds that
   * were written at or before `before` (ISO 8601) for a webhook not among `webhooks`: ones no process
   * configured like this one will ever send. At, not only before: with no grace period a delivery
   * written in the sweep's own millisecond is already orphaned, and would otherwise wait a whole
   * sweep interval.
   */
  claimOrphans(webhooks: readonly string[], before: string, nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] {
    if (limit <= 0) return [];
    return this.conn.query<OutboxRow>(TAKE_ORPHANS, [nowMs + leaseMs, owner, webhooks, before, nowMs, limit]).map(deliveryOf);
  }

  /** Writes the deliveries while the outbox holds fewer than `capacity`; returns how many of them (from the first) it took. */
  enqueue(entries: readonly OutboxEntry[], nowMs: number, capacity: number): number {
    const column = (pick: (e: OutboxEntry) => string): string[] => entries.map(pick);
    const values = [
      column((e) => e.deliveryId), column((e) => e.webhook), column((e) => e.event), column((e) => e.body),
      column((e) => e.approvalRequestId), column((e) => e.decisionId), column((e) => e.createdAt), nowMs, capacity,
    ];
    const [, inserted] = inOneTransaction(this.conn, [{ text: LOCK_OUTBOX }, { text: ENQUEUE, values }]);
    return inserted?.length ?? 0;
  }

  /** Takes up to `limit` due deliveries to `webhooks` nobody holds, each for `leaseMs`, counting the attempt. */
  claim(webhooks: readonly string[], nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] {
    if (webhooks.length === 0 || limit <= 0) return [];
    return this.conn.query<OutboxRow>(TAKE_DUE, [nowMs + leaseMs, owner, webhooks, nowMs, limit]).map(deliveryOf);
  }

  /** Gives a held delivery back, due again at `nextAtMs`. A delivery whose lease another process took since is left alone. */
  retryAt(deliveryId: string, owner: string, nextAtMs: number): void {
    this.conn.query("UPDATE notify_outbox SET next_at_ms = $1, lease_until_ms = 0, lease_owner = NULL WHERE delivery_id = $2 AND lease_owner = $3", [nextAtMs, deliveryId, owner]);
  }

  /** Removes a held delivery that ended: the `notify.finish` effect, applied in its record's transaction. */
  finish(deliveryId: string, owner: string): void {
    this.conn.query("DELETE FROM notify_outbox WHERE delivery_id = $1 AND lease_owner = $2", [deliveryId, owner]);
  }

  /** Deliveries in the outbox, held or not. */
  size(): number {
    return this.conn.query<{ n: number }>("SELECT count(*) AS n FROM notify_outbox")[0]?.n ?? 0;
  }

  /** Deliveries to `webhooks` in the outbox, held or not. */
  pendingFor(webhooks: readonly string[]): number {
    if (webhooks.length === 0) return 0;
    return this.conn.query<{ n: number }>("SELECT count(*) AS n FROM notify_outbox WHERE webhook = ANY($1::text[])", [webhooks])[0]?.n ?? 0;
  }

  /** When the next delivery to `webhooks` falls due (or its lease runs out), in epoch ms; undefined when there is none. */
  nextDueMs(webhooks: readonly string[]): number | undefined {
    if (webhooks.length === 0) return undefined;
    const [row] = this.conn.query<{ at: number | null }>("SELECT min(greatest(next_at_ms, lease_until_ms)) AS at FROM notify_outbox WHERE webhook = ANY($1::text[])", [webhooks]);
    return row?.at ?? undefined;
  }
}
