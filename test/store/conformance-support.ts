// What every part of the store conformance suite does the same way: each case on a fresh store, and an
// entry appended with the effects that must commit with it.
import type { Ledger } from "../../src/ledger/index.js";
import type { StoreEffect } from "../../src/store/index.js";
import { eventLine } from "../support/ledger.js";

/** Wraps a case so that it runs against a fresh store from `open`, closed afterwards whatever the case did. */
export function freshStore<S extends { close(): Promise<void> }>(open: () => Promise<S> | S): (test: (s: S) => Promise<void> | void) => () => Promise<void> {
  return (test) => async () => {
    const s = await open();
    try {
      await test(s);
    } finally {
      await s.close();
    }
  };
}

/** Appends event `i` with `effects`; resolves with its index, or rejects with what the store refused. */
export function commitWith(ledger: Pick<Ledger, "append">, i: number, effects: StoreEffect[]): Promise<number> {
  return ledger.append(eventLine(i), { effects }).then((a) => a.index);
}
