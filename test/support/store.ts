// SQLite handles for the tests that read or damage the store's tables on purpose: the product hands out
// repositories only (Store), so these open the data directory's database file themselves.
import Database from "better-sqlite3";
import { SqliteStore, storeLocation, type SqliteDatabase, type Store } from "../../src/store/index.js";

/**
 * Runs `fn` with a connection of its own to data directory `dir`'s database, closed afterwards: as
 * another process with write access to the file would open it (no migration, no pragma of ours).
 */
export function withStoreDatabase<T>(dir: string, fn: (db: SqliteDatabase) => T): T {
  const db = new Database(storeLocation(dir).path, { fileMustExist: true });
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
