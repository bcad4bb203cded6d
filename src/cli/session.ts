// Opening the ledger of the data directory for the length of one command, and always closing it.
import { openLedger, type Ledger, type OpenLedgerOptions } from "../ledger/index.js";
import type { PolicyStore } from "../policy/index.js";
import type { Runtime } from "../runtime/index.js";
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

/** The whole product (identities, policies, decisions) over the data directory, for one command. */
export async function withRuntime<T>(options: DataOption, fn: (runtime: Runtime) => Promise<T> | T): Promise<T> {
  // Loaded on demand: the policy engine (WebAssembly) and token libraries slow every `arbiter log` call otherwise.
  const { openRuntime } = await import("../runtime/index.js");
  const runtime = openRuntime(dataDir(options), { checkpointIntervalMs: 0 });
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

/** The policy store of the data directory, for one command, without the rest of the runtime. */
export async function withPolicyStore<T>(options: DataOption, fn: (store: PolicyStore, ledger: Ledger) => Promise<T> | T): Promise<T> {
  const { PolicyStore } = await import("../policy/index.js");
  const { ledger, store } = openLedger(dataDir(options), { checkpointIntervalMs: 0 });
  try {
    return await fn(new PolicyStore(store.policies, ledger), ledger);
  } finally {
    await ledger.close();
  }
}
