// The outbox of approver notifications: deliveries written before anyone is told, taken by a lease, deleted once they end.

/** A delivery as it is written: the rendered body for one webhook, due at once. */
export interface OutboxEntry {
  deliveryId: string;
  webhook: string;
  event: string;
  body: string;
  approvalRequestId: string;
  decisionId: string;
  createdAt: string;
}

/** A delivery taken for an attempt: `attempts` counts this one. */
export interface OutboxDelivery extends OutboxEntry {
  attempts: number;
}

/**
 * Shared by every process on one store: each take is atomic (a lease no other process can take until
 * it runs out), so two notifiers never send the same delivery at once. Synchronous: the notifier's
 * passes run off the decision path, and SQLite answers each in one transaction. A delivery that ended
 * leaves only through the `notify.finish` StoreEffect, in the commit of the record that says how it
 * ended: no method here removes one on its own.
 */
export interface NotifyOutboxRepository {
  /** Writes the deliveries while the outbox holds fewer than `capacity`; returns how many of them (from the first) it took. */
  enqueue(entries: readonly OutboxEntry[], nowMs: number, capacity: number): number;
  /** Takes up to `limit` due deliveries to `webhooks` nobody holds, each for `leaseMs`, counting the attempt. */
  claim(webhooks: readonly string[], nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[];
  /**
   * Takes (as claim does, without counting an attempt) up to `limit` deliveries nobody holds that
   * were written at or before `before` (ISO 8601) for a webhook not among `webhooks`: ones no process
   * configured like this one will ever send.
   */
  claimOrphans(webhooks: readonly string[], before: string, nowMs: number, leaseMs: number, owner: string, limit: number): OutboxDelivery[];
  /** Gives a held delivery back, due again at `nextAtMs`. A delivery whose lease another process took since is left alone. */
  retryAt(deliveryId: string, owner: string, nextAtMs: number): void;
  /** Deliveries in the outbox, held or not. */
  size(): number;
  /** Deliveries to `webhooks` in the outbox, held or not. */
  pendingFor(webhooks: readonly string[]): number;
  /** When the next delivery to `webhooks` falls due (or its lease runs out), in epoch ms; undefined when there is none. */
  nextDueMs(webhooks: readonly string[]): number | undefined;
}
