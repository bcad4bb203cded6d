// The errors an append or a checkpoint is refused with when the ledger cannot record.
import { ArbiterError, isArbiterError } from "../record/errors.js";

/** The error an append is rejected with, from whatever the store threw. */
export function unavailable(err: unknown): ArbiterError {
  if (isArbiterError(err)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new ArbiterError("LEDGER_UNAVAILABLE", `the ledger could not record the entry: ${reason}`);
}

/** After halt(): nothing more is recorded or signed until the ledger is checked. */
export function haltedError(reason: string): ArbiterError {
  return new ArbiterError("LEDGER_UNAVAILABLE", `the ledger failed its background verification, so nothing more is recorded or signed until it is checked (\`arbiter log verify\`, /healthz): ${reason}`);
}
