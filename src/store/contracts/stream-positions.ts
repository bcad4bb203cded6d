// Where each outside sink (NATS, OTLP, a file) resumes reading the ledger.

/** Shared by every process on one store; a position only moves forward. */
export interface StreamPositionRepository {
  /** The first index `sink` has not acknowledged; 0 for a sink never seen. */
  next(sink: string): number;
  /** Records that `sink` acknowledged every index below `next`; a smaller value than the stored one changes nothing. */
  advance(sink: string, next: number, at: Date): void;
}
