// The outbox of approver notifications: deliveries written before anyone is told, taken by a lease, deleted once they end.
import type { Statement, Transaction } from "better-sqlite3";
import type { NotifyOutboxRepository, OutboxDelivery, OutboxEntry } from "../contracts/notify-outbox.js";
import type { SqliteDatabase } from "./database.js";
import { deliveryOf, type OutboxRow } from "../rows/outbox-row.js";

export class SqliteNotifyOutbox implements NotifyOutboxRepository {
  private readonly insert: Statement<[string, string, string, string, string, string, number, string]>;
  private readonly countAll: Statement<[], number>;
  private readonly takeDue: Statement<[{ lease: number; owner: string; hooks: string; now: number; limit: number }]>;
  private readonly release: Statement<[number, number, string, string]>;
  private readonly remove: Statement<[string, string]>;
  private readonly earliest: Statement<[string], number | null>;
  private readonly countFor: Statement<[string], number>;
  private readonly takeOrphans: Statement<[{ lease: number; owner: string; hooks: string; now: number; before: string; limit: number }]>;
  private readonly write: Transaction<(entries: readonly OutboxEntry[], nowMs: number, capacity: number) => number>;
  private readonly take: Transaction<(webhooks: readonly string[], nowMs: number, leaseMs: number, owner: string, limit: number) => OutboxDelivery[]>;
  private readonly takeOrphaned: Transaction<(webhooks: readonly string[], before: string, nowMs: number, leaseMs: number, owner: string, limit: number) => OutboxDelivery[]>;

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare("INSERT INTO notify_outbox (delivery_id, webhook, event, body, approval_request_id, decision_id, next_at_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.countAll = db.prepare<[], number>("SELECT count(*) FROM notify_outbox").pluck();
    // SQLite has no UPDATE … LIMIT in the default build: the due rows are chosen by a sub-select, in the order they fell due.
    this.takeDue = db.prepare(
      `UPDATE notify_outbox SET attempts = attempts + 1, lease_until_ms = @lease, lease_owner = @owner
       WHERE delivery_id IN (SELECT delivery_id FROM notify_outbox WHERE webhook IN (SELECT value FROM json_each(@hooks)) AND next_at_ms <= @now AND lease_until_ms <= @now ORDER BY next_at_ms LIMIT @limit)
       RETURNING delivery_id, webhook, event, body, approval_request_id, decision_id, attempts, created_at`,
    );
    this.release = db.prepare("UPDATE notify_outbox SET next_at_ms = ?, lease_until_ms = ?, lease_owner = NULL WHERE delivery_id = ? AND lease_owner = ?");
    this.remove = db.prepare("DELETE FROM notify_outbox WHERE delivery_id = ? AND lease_owner = ?");
    this.earliest = db.prepare<[string], number | null>("SELECT min(max(next_at_ms, lease_until_ms)) FROM notify_outbox WHERE webhook IN (SELECT value FROM json_each(?))").pluck();
    this.takeOrphans = db.prepare(
      `UPDATE notify_outbox SET lease_until_ms = @lease, lease_owner = @owner
       WHERE delivery_id IN (SELECT delivery_id FROM notify_outbox WHERE webhook NOT IN (SELECT value FROM json_each(@hooks)) AND created_at <= @before AND lease_until_ms <= @now ORDER BY created_at LIMIT @limit)
       RETURNING delivery_id, webhook, event, body, approval_request_id, decision_id, attempts, created_at`,
    );
    this.countFor = db.prepare<[string], number>("SELECT count(*) FROM notify_outbox WHERE webhook IN (SELECT value FROM json_each(?))").pluck();
    this.write = db.transaction((entries: readonly OutboxEntry[], nowMs: number, capacity: number): number => {
      const room = Math.max(0, capacity - (this.countAll.get() ?? 0));
      const taken = entries.slice(0, room);
      for (const e of taken) this.insert.run(e.deliveryId, e.webhook, e.event, e.body, e.approvalRequestId, e.decisionId, nowMs, e.createdAt);
      return taken.length;
    });
    this.take = db.transaction((webhooks: readonly string[], nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] =>
      (this.takeDue.all({ lease: nowMs + leaseMs, owner, hooks: JSON.stringify(webhooks), now: nowMs, limit }) as OutboxRow[]).map(deliveryOf),
    );
    this.takeOrphaned = db.transaction((webhooks: readonly string[], before: string, nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] =>
      (this.takeOrphans.all({ lease: nowMs + leaseMs, owner, hooks: JSON.stringify(webhooks), now: nowMs, before, limit }) as OutboxRow[]).map(deliveryOf),
    );
  }

  /**
   * Takes (as claim does, without counting an attempt) up to `limit` deliveries nobody holds that
   * were written at or before `before` (ISO 8601) for a webhook not among `webhooks`: ones no process
   * configured like this one will ever send. At, not only before: with no grace period a delivery
   * written in the sweep's own millisecond is already orphaned, and would otherwise wait a whole
   * sweep interval.
   */
  claimOrphans(webhooks: readonly string[], before: string, nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] {
    // SQLite reads a negative LIMIT as none at all: a limit below 1 takes nothing, as claim's does.
    if (limit <= 0) return [];
    return this.takeOrphaned.immediate(webhooks, before, nowMs, leaseMs, owner, limit);
  }

  /** Writes the deliveries while the outbox holds fewer than `capacity`; returns how many of them (from the first) it took. */
  enqueue(entries: readonly OutboxEntry[], nowMs: number, capacity: number): number {
    return this.write.immediate(entries, nowMs, capacity);
  }

  /** Takes up to `limit` due deliveries to `webhooks` nobody holds, each for `leaseMs`, counting the attempt. */
  claim(webhooks: readonly string[], nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[] {
    if (webhooks.length === 0 || limit <= 0) return [];
    return this.take.immediate(webhooks, nowMs, leaseMs, owner, limit);
  }

  /** Gives a held delivery back, due again at `nextAtMs`. A delivery whose lease another process took since is left alone. */
  retryAt(deliveryId: string, owner: string, nextAtMs: number): void {
    this.release.run(nextAtMs, 0, deliveryId, owner);
  }

  /** Removes a held delivery that ended: the `notify.finish` effect, applied in its record's transaction (effects.ts). */
  finish(deliveryId: string, owner: string): void {
    this.remove.run(deliveryId, owner);
  }

  /** Deliveries in the outbox, held or not. */
  size(): number {
    return this.countAll.get() ?? 0;
  }

  /** Deliveries to `webhooks` in the outbox, held or not. */
  pendingFor(webhooks: readonly string[]): number {
    return webhooks.length === 0 ? 0 : (this.countFor.get(JSON.stringify(webhooks)) ?? 0);
  }

  /** When the next delivery to `webhooks` falls due (or its lease runs out), in epoch ms; undefined when there is none. */
  nextDueMs(webhooks: readonly string[]): number | undefined {
    return webhooks.length === 0 ? undefined : (this.earliest.get(JSON.stringify(webhooks)) ?? undefined);
  }
}
