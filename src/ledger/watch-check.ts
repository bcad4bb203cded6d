// The checks of the background ledger watch (watch-worker.ts), each returning what is wrong or undefined:
// the database file is still the one opened, new entries hash as stored, the log still holds its own
// latest signed checkpoint, and on a schedule the full verify of every entry and query table.
import { statSync } from "node:fs";
import type { LedgerStore } from "../store/index.js";
import { CompactRange, leafHash } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";
import { dataDirCheckpoint, rollbackProblem } from "./rollback.js";
import { firstMismatch, verifyLedger } from "./verify.js";

export type WatchCheck = "file" | "incremental" | "rollback" | "full";

export interface WatchProblem {
  check: WatchCheck;
  message: string;
  /** The first entry that cannot be trusted, when one is known. */
  index?: number;
}

/** Which file a path names: a deleted file has none, a replaced one another device or inode. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export function fileIdentity(path: string): FileIdentity | undefined {
  try {
    const stat = statSync(path);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return undefined;
  }
}

/**
 * The running process keeps writing to the file it opened even after that file was deleted or
 * another was renamed into its place: nothing it records would then be where a verifier looks.
 */
export function fileProblem(path: string, opened: FileIdentity): WatchProblem | undefined {
  const now = fileIdentity(path);
  if (now === undefined) return { check: "file", message: `the database file ${path} was deleted while the ledger was open` };
  if (now.dev !== opened.dev || now.ino !== opened.ino) {
    return { check: "file", message: `the database file ${path} was replaced by another file while the ledger was open (inode ${opened.ino} → ${now.ino})` };
  }
  return undefined;
}

/** Keeps the right edge of the entries checked so far and checks only those appended since. */
export class TailCheck {
  private edge = CompactRange.empty();

  get checked(): number {
    return this.edge.size;
  }

  check(store: LedgerStore): WatchProblem | undefined {
    const size = store.size();
    if (size < this.edge.size) {
      return { check: "incremental", index: size, message: `the log shrank from ${this.edge.size} to ${size} entries while it was open` };
    }
    for (const row of store.entries(this.edge.size, size)) {
      const index = this.edge.size;
      if (row.index !== index) return { check: "incremental", index, message: `entry ${index} is missing (next stored entry is ${row.index})` };
      const mismatch = firstMismatch(row.hashes, this.edge.append(leafHash(row.data)));
      if (mismatch !== undefined) {
        const first = index - 2 ** mismatch.level + 1;
        return { check: "incremental", index: first, message: `entry ${index}: ${mismatch.problem}` };
      }
    }
    return undefined;
  }
}

/** The log must still hold the tree of the latest checkpoint it signed, kept beside the database. */
export function rollbackCheck(store: LedgerStore, checkpointFile: string, verifier: NoteVerifier, origin: string): WatchProblem | undefined {
  for (const cp of dataDirCheckpoint(checkpointFile)) {
    try {
      const problem = rollbackProblem(store, cp, verifier, origin);
      if (problem !== undefined) return { check: "rollback", message: problem };
    } catch (err) {
      return { check: "rollback", message: err instanceof Error ? err.message : String(err) };
    }
  }
  return undefined;
}

/** `arbiter log verify`'s full check: every entry, hash, checkpoint and query-table row. */
export function fullCheck(store: LedgerStore, checkpointFile: string, verifier: NoteVerifier, origin: string): { problem: WatchProblem | undefined; entries: number } {
  const result = verifyLedger(store, verifier, origin, { outside: dataDirCheckpoint(checkpointFile) });
  const failure = result.failure;
  return {
    entries: result.entries,
    problem: failure === undefined ? undefined : { check: "full", index: failure.index, message: `${failure.table !== undefined ? `${failure.table}: ` : ""}${failure.problem}` },
  };
}
