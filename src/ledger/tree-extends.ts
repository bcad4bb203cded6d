// The checks that the stored tree extends the last signed checkpoint, before anything is built or signed on it.
import { ArbiterError } from "../record/errors.js";
import type { LedgerReader, StoredCheckpoint } from "../store/index.js";
import { openCheckpoint } from "./checkpoint.js";
import { CompactRange, consistencyProof, peakAddresses, verifyConsistency } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";

/** The log a check is made for: its origin and the key its checkpoints are signed with. */
export interface LogIdentity {
  origin: string;
  verifier: NoteVerifier;
}

/** Throws unless the tree of `size` with `root`, read from stored hashes, extends the last signed checkpoint. */
export function assertExtends(log: LogIdentity, reader: LedgerReader, last: StoredCheckpoint, size: number, root: Buffer, code: "INCONSISTENT_CHECKPOINT" | "LEDGER_CORRUPT"): void {
  try {
    if (last.size > size) throw new Error(`entries were removed: ${size} stored`);
    openCheckpoint(last.note, log.verifier, log.origin);
    const proof = consistencyProof(last.size, size, (a) => reader.readHashes(a));
    verifyConsistency(last.size, size, last.root, root, proof);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const verb = code === "LEDGER_CORRUPT" ? "refusing to append" : `refusing to sign size ${size}`;
    throw new ArbiterError(code, `${verb}: the stored tree is not consistent with the checkpoint signed at size ${last.size} (${reason}); run \`arbiter log verify\``, {
      lastSize: last.size,
      size,
    });
  }
}

/** The right edge read from the store, checked against the last signed checkpoint before anything is built on it. */
export function loadEdge(log: LogIdentity, reader: LedgerReader, size: number): CompactRange {
  const edge = new CompactRange(size, reader.readHashes(peakAddresses(size)));
  const last = reader.latestCheckpoint();
  if (last) assertExtends(log, reader, last, size, edge.root(), "LEDGER_CORRUPT");
  return edge;
}
