// SQLite handles for the tests that read or damage the store's tables on purpose: the product hands out
// repositories only (Store), so these open the data directory's database file themselves.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SqliteStore, storeLocation, type SqliteDatabase, type Store } from "../../src/store/index.js";

/**
 * Runs `fn` with a connection of its own to data directory `dir`'s database, closed afterwards: as
 * another process with write access to the file would open it (no migration, no pragma of ours).
 */
export function withStoreDatabase<T>(dir: string, fn: (db: SqliteDatabase) => T): T {
  const location = storeLocation(dir);
  if (location.engine !== "sqlite") throw new Error(`${dir} keeps its store in PostgreSQL, not in a database file`);
  const db = new Database(location.path, { fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** The very connection a SQLite store writes through: only for what holds per connection (max_page_count, data_version). */
export function liveConnection(store: Store): SqliteDatabase {
  if (!(store instanceof SqliteStore)) throw new Error("a test of the SQLite store's own connection was given another store");
  return store.connection;
}

/**
 * The bytes of data directory `dir`'s database files (`arbiter.db` and, when present, its `-wal` and
 * `-shm`; or only those named), read by another process. Reading them here would not do: closing a
 * descriptor drops every POSIX lock this process holds on that file, among them the locks of the
 * SQLite connections a test keeps open, and a process opening the database later (an `arbiter log
 * verify`) then believes it is alone, checkpoints and truncates the WAL under them
 * (sqlite.org/howtocorrupt.html, section 2.2). A missing file reads as no bytes.
 */
export function storeFileBytes(dir: string, names: readonly string[] = STORE_FILES): Buffer {
  const paths = names.map((name) => join(dir, name)).filter((path) => existsSync(path));
  if (paths.length === 0) return Buffer.alloc(0);
  const read = spawnSync("cat", paths, { maxBuffer: 1 << 30 });
  if (read.status !== 0) throw new Error(`could not read ${paths.join(", ")}: ${read.stderr.toString()}`);
  return read.stdout;
}

/** Copies one of `dir`'s database files to `to` from another process, for the reason storeFileBytes gives. */
export function copyStoreFile(dir: string, name: string, to: string): void {
  const copied = spawnSync("cp", [join(dir, name), to]);
  if (copied.status !== 0) throw new Error(`could not copy ${name}: ${copied.stderr.toString()}`);
}

const STORE_FILES = ["arbiter.db", "arbiter.db-wal", "arbiter.db-shm"];
