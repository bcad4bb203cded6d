// Erasure of the raw values kept beside the leaves, committed together with the record that says so.
import { ArbiterError } from "../record/errors.js";
import type { LedgerStore, RawValueSelector } from "../store/index.js";
import type { AppendOptions, Appended } from "./ledger-types.js";

type Append = (input: unknown, options: AppendOptions) => Promise<Appended>;

/**
 * Erases the raw values kept beside the leaves for a subject or a record, and appends the erasure's
 * own record (built from the count) in the same commit: the values are gone exactly when the record
 * saying so is durable, and a failed append erases nothing. A value written for the selector between
 * the count and the commit refuses the erasure (CONFLICT) rather than erase more than the record says.
 * The deleted cells are zeroed (secure_delete), and the WAL, which still holds the pages as they
 * were before, is then folded in and emptied; a reader that keeps it from being emptied is waited
 * for (the busy timeout) a few times, then reported, since the values would still be on disk.
 */
export async function eraseRawValues(store: LedgerStore, append: Append, selector: RawValueSelector, recordOf: (erased: number) => unknown): Promise<Appended & { erased: number }> {
  const erased = store.countRawValues(selector);
  const appended = await append(recordOf(erased), { effects: [{ type: "raw_values.erase", selector, expected: erased }] });
  for (let attempt = 0; attempt < 3; attempt++) if (store.truncateWal()) return { ...appended, erased };
  throw new ArbiterError("LEDGER_UNAVAILABLE", `${erased} raw value(s) were erased (recorded at index ${appended.index}), but another connection kept the write-ahead log from being emptied, so earlier copies of those pages are still in it; run the erasure again when it is idle`);
}
