// One ledger entry as it leaves for an outside sink: the exact leaf bytes, its index and leaf hash, and its kind.
import { RECORD_KINDS, type RecordKind } from "../record/index.js";
import type { LedgerStore } from "../store/index.js";

/** RFC 6962 §2.1: the leaf hash is the first 32 bytes a stored entry's hashes hold (store/types.ts StoredEntry). */
const LEAF_HASH_BYTES = 32;

const KINDS = new Set<string>(RECORD_KINDS);

export interface OutgoingEntry {
  index: number;
  /** The canonical record bytes (RFC 8785), exactly as the leaf holds them. */
  data: Buffer;
  /** SHA-256(0x00 ‖ data), lowercase hex. */
  leafHash: string;
  /** The record's kind when the leaf names one this build knows; undefined for anything else (never trusted as a name). */
  kind: RecordKind | undefined;
  /** The parsed record, when the leaf is a JSON object. */
  record: Record<string, unknown> | undefined;
}

function parse(data: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(data.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A kind is used in a NATS subject and an OCSF field only if it is one of RECORD_KINDS: a damaged or
 * hostile leaf naming `decision.>` or `a b` must not choose where its record is published.
 */
export function knownKind(value: unknown): RecordKind | undefined {
  return typeof value === "string" && KINDS.has(value) ? (value as RecordKind) : undefined;
}

/**
 * Entries from..to-1 in index order, stopping at the first missing one (the ledger numbers entries
 * without gaps; a gap is damage that `arbiter log verify` reports, and nothing past it is sent).
 */
export function readEntries(store: Pick<LedgerStore, "entries">, from: number, to: number): OutgoingEntry[] {
  const out: OutgoingEntry[] = [];
  for (const entry of store.entries(from, to)) {
    if (entry.index !== from + out.length || entry.hashes.length < LEAF_HASH_BYTES) break;
    const record = parse(entry.data);
    out.push({
      index: entry.index,
      data: Buffer.from(entry.data),
      leafHash: entry.hashes.subarray(0, LEAF_HASH_BYTES).toString("hex"),
      kind: knownKind(record?.kind),
      record,
    });
  }
  return out;
}
