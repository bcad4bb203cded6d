// Opening the ledger of the data directory for the length of one command, and always closing it.
import { openLedger, type Ledger, type OpenLedgerOptions } from "../ledger/index.js";
import { dataDir, type DataOption } from "./door.js";

export async function withLedger<T>(options: DataOption, fn: (ledger: Ledger) => Promise<T> | T, open: OpenLedgerOptions = {}): Promise<T> {
  // One-shot commands sign on demand and on close, never on a timer.
  const { ledger } = openLedger(dataDir(options), { checkpointIntervalMs: 0, ...open });
  try {
    return await fn(ledger);
  } finally {
    await ledger.close();
  }
}
