// Checkpoints met on the way through the entries: the stored ones and those kept outside the database,
// each checked against the root of the entries it covers when the walk reaches its size.
import type { StoredCheckpoint } from "../store/index.js";
import { openCheckpoint } from "./checkpoint.js";
import type { Hash } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";
import { openOutside, type OutsideCheckpoint } from "./rollback.js";
import type { LedgerProblem } from "./verify-entry.js";

export type Visited = StoredCheckpoint & { source?: string };

/** Checks checkpoint `cp` against `root`, the root recomputed from the first cp.size entries. */
export function checkCheckpoint(cp: Visited, root: Hash, verifier: NoteVerifier, origin: string, goodUpTo: number): LedgerProblem | undefined {
  try {
    const opened = openCheckpoint(cp.note, verifier, origin);
    if (opened.size !== cp.size || !opened.root.equals(cp.root)) {
      return { index: goodUpTo, problem: `checkpoint at size ${cp.size}: stored root and size differ from the signed note` };
    }
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { index: goodUpTo, problem: `checkpoint at size ${cp.size}: signature does not verify (${reason})` };
  }
  if (!root.equals(cp.root) && cp.source !== undefined) {
    return {
      index: goodUpTo,
      problem: `the checkpoint this log signed at size ${cp.size} (${cp.source}) has root ${cp.root.toString("base64")}, but the stored entries give ${root.toString("base64")}: the log was rolled back to another copy or rewritten`,
    };
  }
  if (!root.equals(cp.root)) {
    return {
      index: goodUpTo,
      problem: `checkpoint at size ${cp.size}: signed root ${cp.root.toString("base64")} differs from the root recomputed from entries (${root.toString("base64")}); an entry in ${goodUpTo}..${cp.size - 1} was changed`,
    };
  }
  return undefined;
}

/** The checkpoints in size order, visited as the entries they cover are recomputed. */
export class CheckpointWalk {
  /** How many checkpoints were checked and found good. */
  visited = 0;
  /** Entries below this are covered by a good checkpoint. */
  private goodUpTo = 0;

  private constructor(
    private readonly checkpoints: readonly Visited[],
    private readonly verifier: NoteVerifier,
    private readonly origin: string,
  ) {}

  /** The walk over `stored` and `outside`, or the problem of an outside checkpoint that cannot be opened (at index 0). */
  static of(stored: StoredCheckpoint[], outside: readonly OutsideCheckpoint[], verifier: NoteVerifier, origin: string): CheckpointWalk | LedgerProblem {
    const checkpoints: Visited[] = stored;
    for (const copy of outside) {
      try {
        const cp = openOutside(copy, verifier, origin);
        checkpoints.push({ size: cp.size, root: cp.root, note: copy.note, signedAt: "", source: copy.source });
      } catch (err) {
        return { index: 0, problem: err instanceof Error ? err.message : String(err) };
      }
    }
    checkpoints.sort((a, b) => a.size - b.size);
    return new CheckpointWalk(checkpoints, verifier, origin);
  }

  /** The sizes of every checkpoint, in order. */
  get sizes(): number[] {
    return this.checkpoints.map((cp) => cp.size);
  }

  /** Checks every checkpoint at `size` against root() (the root of the first `size` entries). */
  visit(size: number, root: () => Hash): LedgerProblem | undefined {
    let hash: Hash | undefined;
    for (let cp = this.checkpoints[this.visited]; cp && cp.size === size; cp = this.checkpoints[this.visited]) {
      const problem = checkCheckpoint(cp, (hash ??= root()), this.verifier, this.origin, this.goodUpTo);
      if (problem) return problem;
      this.goodUpTo = cp.size;
      this.visited++;
    }
    return undefined;
  }

  /** A checkpoint past the `size` entries there are. */
  unreached(size: number): LedgerProblem | undefined {
    const cp = this.checkpoints[this.visited];
    if (!cp) return undefined;
    return {
      index: size,
      problem: `a checkpoint was signed at size ${cp.size}${cp.source ? ` (${cp.source})` : ""} but only ${size} entries are stored: entries from ${size} on were removed, or an older copy of the database was restored`,
    };
  }
}
