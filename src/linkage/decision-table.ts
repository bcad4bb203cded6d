// The join's in-memory view of linkage_decisions: columns as typed arrays, one KeyIndex per join key.
import type { Outcome } from "../record/index.js";
import type { LinkageRepository } from "../store/index.js";
import { KeyIndex } from "./key-index.js";

export const OUTCOME_CODES: readonly Outcome[] = ["allow", "deny", "challenge", "error"];

/**
 * Record ids by row, packed 36 bytes each (a UUIDv7) in one buffer outside the heap: 1M id strings
 * on the heap slowed every major collection of a run (measured); other ids are kept aside.
 */
export class RecordIds {
  private readonly packed: Buffer;
  private readonly odd = new Map<number, string>();

  constructor(count: number) {
    this.packed = Buffer.alloc(count * 36);
  }

  set(row: number, id: string): void {
    if (id.length === 36) this.packed.write(id, row * 36, 36, "latin1");
    else this.odd.set(row, id);
  }

  get(row: number): string {
    return this.odd.get(row) ?? this.packed.toString("latin1", row * 36, row * 36 + 36);
  }
}

export interface DecisionTable {
  count: number;
  /** Record ids, by row; rows are numbered in time order. */
  ids: RecordIds;
  ledgerIndex: Float64Array;
  time: Float64Array;
  /** Index into OUTCOME_CODES. */
  outcome: Uint8Array;
  /** 1 for a decision of another engine (an imported record). */
  foreign: Uint8Array;
  /** 1 when the decision relied on a grant or an approval: its details are read when an event links to it. */
  bound: Uint8Array;
  hAction: Float64Array;
  hResource: Float64Array;
  hCredential: Float64Array;
  byId: KeyIndex;
  bySource: KeyIndex;
  byTrace: KeyIndex;
  byCredential: KeyIndex;
  bySar: KeyIndex;
}

/**
 * Rows must be numbered in time order. Ledger order almost always is time order, and reading in
 * rowid order is a sequential scan (reading through the time index cost ≈ 9 µs a row, measured),
 * so rows are read by index and re-ordered only when some decision came out of order.
 */
function timeOrder(time: Float64Array, count: number): Int32Array | undefined {
  for (let i = 1; i < count; i++) {
    if ((time[i] as number) < (time[i - 1] as number)) {
      return Int32Array.from({ length: count }, (_, j) => j).sort((a, b) => (time[a] as number) - (time[b] as number) || a - b);
    }
  }
  return undefined;
}

function permute<T extends Float64Array | Uint8Array>(column: T, order: Int32Array): T {
  const out = column.slice() as T;
  for (let i = 0; i < order.length; i++) out[i] = column[order[i] as number] as number;
  return out;
}

/** Reads every decision key once; memory is ≈ 100 bytes a decision plus the id strings. */
export function loadDecisionTable(tables: LinkageRepository): DecisionTable {
  const count = tables.decisionKeyCount();
  const loaded = new Array<string>(count);
  const ledgerIndex = new Float64Array(count);
  const time = new Float64Array(count);
  const outcome = new Uint8Array(count);
  const foreign = new Uint8Array(count);
  const bound = new Uint8Array(count);
  const hId = new Float64Array(count);
  const hSource = new Float64Array(count);
  const hTrace = new Float64Array(count);
  const hCredential = new Float64Array(count);
  const hSar = new Float64Array(count);
  const hAction = new Float64Array(count);
  const hResource = new Float64Array(count);
  let row = 0;
  for (const r of tables.joinKeys()) {
    if (row >= count) break;
    ledgerIndex[row] = r[0];
    loaded[row] = r[1];
    foreign[row] = r[2] === "arbiter" ? 0 : 1;
    time[row] = r[3];
    outcome[row] = Math.max(0, OUTCOME_CODES.indexOf(r[4] as Outcome));
    hId[row] = r[5];
    hSource[row] = r[6] ?? Number.NaN;
    hTrace[row] = r[7] ?? Number.NaN;
    hCredential[row] = r[8] ?? Number.NaN;
    hSar[row] = r[9];
    hAction[row] = r[10];
    hResource[row] = r[11];
    bound[row] = r[12];
    row++;
  }
  const order = timeOrder(time, row);
  const p = <T extends Float64Array | Uint8Array>(column: T): T => (order ? permute(column, order) : column);
  const credential = p(hCredential);
  const ids = new RecordIds(row);
  for (let i = 0; i < row; i++) ids.set(i, loaded[order ? (order[i] as number) : i] as string);
  return {
    count: row,
    ids,
    ledgerIndex: p(ledgerIndex),
    time: p(time),
    outcome: p(outcome),
    foreign: p(foreign),
    bound: p(bound),
    hAction: p(hAction),
    hResource: p(hResource),
    hCredential: credential,
    byId: new KeyIndex(p(hId), row),
    bySource: new KeyIndex(p(hSource), row),
    byTrace: new KeyIndex(p(hTrace), row),
    byCredential: new KeyIndex(credential, row),
    bySar: new KeyIndex(p(hSar), row),
  };
}
