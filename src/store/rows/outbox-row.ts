// The notify outbox's row, as both stores read it, and the delivery it maps to.
import type { OutboxDelivery } from "../contracts/notify-outbox.js";

export interface OutboxRow {
  delivery_id: string;
  webhook: string;
  event: string;
  body: string;
  approval_request_id: string;
  decision_id: string;
  attempts: number;
  created_at: string;
}

export function deliveryOf(row: OutboxRow): OutboxDelivery {
  return {
    deliveryId: row.delivery_id,
    webhook: row.webhook,
    event: row.event,
    body: row.body,
    approvalRequestId: row.approval_request_id,
    decisionId: row.decision_id,
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}
