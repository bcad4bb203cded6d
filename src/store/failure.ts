// Failures of the storage underneath (disk full, I/O error, a lock held too long, a read-only file
// system): the ledger is unavailable, which a caller must treat as "not done", not as a server bug.
import Database from "better-sqlite3";
import { ArbiterError } from "../record/errors.js";

/** SQLite result codes (sqlite.org/rescode.html) that say the file could not be written, not that the request was wrong. */
const SQLITE_UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN)/;
/** errno codes of a file write that no retry of the same request can fix until an operator acts. */
const FILE_UNAVAILABLE = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO"]);

/**
 * LEDGER_UNAVAILABLE for an error thrown by a write to the database or the data directory outside
 * the ledger's own append (a linkage run's table, the token key created on first use); undefined
 * for any other error.
 */
export function storageUnavailable(err: unknown): ArbiterError | undefined {
  if (err instanceof Database.SqliteError && SQLITE_UNAVAILABLE.test(err.code)) {
    return new ArbiterError("LEDGER_UNAVAILABLE", `the data directory could not be written: ${err.message}`);
  }
  const errno = err as NodeJS.ErrnoException;
  if (err instanceof Error && typeof errno.code === "string" && FILE_UNAVAILABLE.has(errno.code) && typeof errno.syscall === "string") {
    return new ArbiterError("LEDGER_UNAVAILABLE", `the data directory could not be written: ${err.message}`);
  }
  return undefined;
}
