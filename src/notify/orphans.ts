// Deliveries left in the outbox for a webhook no longer configured: dropped after a grace period, each with a record saying why.
import type { Ledger } from "../ledger/index.js";
import type { NotifyOutboxRepository } from "../store/index.js";

/**
 * How long a delivery for a webhook this process does not know waits before it is dropped. Another
 * process on the data directory may still have that webhook (its own environment), and a webhook
 * removed by mistake may come back; within an hour either sends it (its retries end in minutes),
 * and by then the approval request it announces has most likely been decided or has expired.
 */
export const ORPHAN_GRACE_MS = 3_600_000;
/** Most orphans one sweep drops; the next sweep takes the rest. */
const SWEEP_LIMIT = 100;

export interface OrphanSweep {
  ledger: Pick<Ledger, "append">;
  outbox: Pick<NotifyOutboxRepository, "claimOrphans">;
  /** The webhooks this process delivers to, by name. */
  webhooks: readonly string[];
  owner: string;
  leaseMs: number;
  graceMs: number;
  nowMs: number;
}

/**
 * Drops the outbox's deliveries written more than `graceMs` ago for webhooks not among `webhooks`:
 * each gets a final `notification` record, outcome `dropped`, naming the webhook (its URL is no
 * longer known), and leaves the outbox in the same commit as that record. Returns how many it dropped.
 */
export async function dropOrphans(sweep: OrphanSweep): Promise<number> {
  const before = new Date(sweep.nowMs - sweep.graceMs).toISOString();
  const orphans = sweep.outbox.claimOrphans(sweep.webhooks, before, sweep.nowMs, sweep.leaseMs, sweep.owner, SWEEP_LIMIT);
  let dropped = 0;
  for (const orphan of orphans) {
    await sweep.ledger.append(
      {
        kind: "notification",
        approval_request_id: orphan.approvalRequestId,
        delivery_id: orphan.deliveryId,
        channel: { name: orphan.webhook },
        attempt: Math.max(1, orphan.attempts),
        outcome: "dropped",
        final: true,
        error: `no webhook named ${orphan.webhook} is configured any more`,
        correlation: { parent_decision_id: orphan.decisionId },
      },
      { effects: [{ type: "notify.finish", deliveryId: orphan.deliveryId, owner: sweep.owner }] },
    );
    dropped++;
  }
  return dropped;
}
