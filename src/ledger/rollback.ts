// A signed checkpoint kept outside the database (the data directory's copy, a witness's copy) against
// the stored log: a log shorter than it, or whose tree at its size has another root, was truncated,
// rolled back to an older copy, or rewritten.
import { existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ArbiterError } from "../record/errors.js";
import type { LedgerReader } from "../store/index.js";
import { openCheckpoint, type Checkpoint } from "./checkpoint.js";
import { treeHash } from "./merkle/index.js";
import type { NoteVerifier } from "./note.js";

/** A checkpoint note and where it was read from (for messages). */
export interface OutsideCheckpoint {
  source: string;
  note: string;
}

const MAX_NOTE_BYTES = 1 << 16;

/** Reads checkpoint notes from files, or every file of a directory (a witness's copies). */
export function readOutsideCheckpoints(paths: readonly string[]): OutsideCheckpoint[] {
  const out: OutsideCheckpoint[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new ArbiterError("USAGE", `checkpoint file ${path} does not exist`);
    const files = lstatSync(path).isDirectory() ? readdirSync(path).sort().map((name) => join(path, name)) : [path];
    for (const file of files) {
      const stat = lstatSync(file);
      if (!stat.isFile()) continue;
      if (stat.size > MAX_NOTE_BYTES) throw new ArbiterError("USAGE", `${file} is ${stat.size} bytes, too large for a checkpoint`);
      out.push({ source: file, note: readFileSync(file, "utf8") });
    }
  }
  return out;
}

/** The data directory's own copy of the latest checkpoint, if one was ever written. */
export function dataDirCheckpoint(file: string): OutsideCheckpoint[] {
  return existsSync(file) ? [{ source: file, note: readFileSync(file, "utf8") }] : [];
}

/** Opens an outside checkpoint with the log's key; a note another key signed proves nothing about this log. */
export function openOutside(cp: OutsideCheckpoint, verifier: NoteVerifier, origin: string): Checkpoint {
  try {
    return openCheckpoint(cp.note, verifier, origin);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ArbiterError("LEDGER_CORRUPT", `${cp.source} is not a checkpoint this log signed (${reason})`, { source: cp.source });
  }
}

/**
 * What is wrong with the stored log against a checkpoint it signed, from the stored hashes alone
 * (O(log n)); undefined if the log holds the checkpoint's tree. A full `log verify` also recomputes
 * those hashes from the entries.
 */
export function rollbackProblem(reader: LedgerReader, cp: OutsideCheckpoint, verifier: NoteVerifier, origin: string): string | undefined {
  const signed = openOutside(cp, verifier, origin);
  const size = reader.size();
  if (signed.size > size) {
    return `the log holds ${size} entries but this log signed a checkpoint at size ${signed.size} (${cp.source}): it was truncated or an older copy of the database was restored`;
  }
  if (signed.size === 0) return undefined;
  let root: Buffer;
  try {
    root = treeHash(signed.size, (a) => reader.readHashes(a));
  } catch (err) {
    return `the tree at size ${signed.size} cannot be read (${err instanceof Error ? err.message : String(err)}), so it cannot be matched with ${cp.source}`;
  }
  if (!root.equals(signed.root)) {
    return `the stored tree at size ${signed.size} has root ${root.toString("base64")}, but this log signed ${signed.root.toString("base64")} at that size (${cp.source}): the log was rolled back or rewritten`;
  }
  return undefined;
}

/** Refuses (LEDGER_CORRUPT) a log that does not hold every given checkpoint's tree. */
export function assertNotRolledBack(reader: LedgerReader, checkpoints: readonly OutsideCheckpoint[], verifier: NoteVerifier, origin: string): void {
  for (const cp of checkpoints) {
    const problem = rollbackProblem(reader, cp, verifier, origin);
    if (problem) throw new ArbiterError("LEDGER_CORRUPT", `${problem}; refusing to use it (run \`arbiter log verify\`)`, { source: cp.source });
  }
}
