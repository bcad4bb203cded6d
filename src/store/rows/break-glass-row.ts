// The break_glass table's row, as both stores read it (same columns in SQLite and PostgreSQL), and the contract's value it maps to.
import type { BreakGlassSession } from "../contracts/break-glass.js";
export interface SessionRow {
  id: string;
  identity_id: string;
  justification: string;
  started_at: string;
  expires_at: string;
  ended_at: string | null;
  reviewed_at: string | null;
  reviewer: string | null;
  review_note: string | null;
  decision_count: number;
}

export function sessionFromRow(row: SessionRow): BreakGlassSession {
  return {
    id: row.id,
    identityId: row.identity_id,
    justification: row.justification,
    startedAt: row.started_at,
    expiresAt: row.expires_at,
    endedAt: row.ended_at,
    reviewedAt: row.reviewed_at,
    reviewer: row.reviewer,
    reviewNote: row.review_note,
    decisionCount: row.decision_count,
  };
}
