// What an append commits beside its entry, as the one closure the store runs inside the entry's transaction.
import type { LedgerStore } from "../store/index.js";
import type { AppendOptions } from "./ledger-types.js";

/** The data effects (applied by the store), then the caller's own; undefined when there is neither. */
export function effectOf(store: LedgerStore, { effect, effects }: AppendOptions): (() => void) | undefined {
  if (effects === undefined || effects.length === 0) return effect;
  if (effect === undefined) return () => store.applyEffects(effects);
  return () => {
    store.applyEffects(effects);
    effect();
  };
}
