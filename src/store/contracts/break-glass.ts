// The break-glass contract: time-bound, justified overrides of policy denials, listed until reviewed.
export interface BreakGlassSession {
  id: string;
  identityId: string;
  justification: string;
  startedAt: string;
  expiresAt: string;
  endedAt: string | null;
  reviewedAt: string | null;
  reviewer: string | null;
  reviewNote: string | null;
  decisionCount: number;
}

/** A session as it is opened; written by the effect break_glass.open. */
export type NewBreakGlassSession = Pick<BreakGlassSession, "id" | "identityId" | "justification" | "startedAt" | "expiresAt">;

export interface BreakGlassFilter {
  unreviewed?: boolean;
  identityId?: string;
  limit: number;
}

/**
 * Reads of the break-glass sessions; synchronous (activeFor is asked on every overridable denial).
 * Writes are StoreEffects (break_glass.open, .use, .end, .review) committed with their records.
 */
export interface BreakGlassRepository {
  /** undefined when no session has this id. */
  get(id: string): BreakGlassSession | undefined;
  /** The newest session of the identity not ended and not expired at `now`. */
  activeFor(identityId: string, now: Date): BreakGlassSession | undefined;
  /** Newest first, at most `limit`. */
  list(filter: BreakGlassFilter): BreakGlassSession[];
}
