// The data directory's store: the one place that picks the implementation (SQLite in the data
// directory today), so that no room outside store/ names an engine to open, create or read one.
import { join } from "node:path";
import type { LedgerStore } from "./types.js";
import type { Store, StoreLocation } from "./contracts/store.js";
import { DATA_FILES } from "./data-dir.js";
import { openDatabase } from "./sqlite/database.js";
import { SqliteStore, openSqliteReader, type SqliteStoreOptions } from "./sqlite/store.js";

export type StoreOptions = SqliteStoreOptions;

/** Where data directory `dir` keeps its store. */
export function storeLocation(dir: string): StoreLocation {
  return { engine: "sqlite", path: join(dir, DATA_FILES.database) };
}

/**
 * Creates the store of data directory `dir` (create: true, `arbiter init`), or checks that the one
 * there is a store this build can use and brings its schema up to date; leaves nothing open.
 */
export function initStore(dir: string, options: { create: boolean }): void {
  openDatabase(storeLocation(dir).path, { create: options.create }).close();
}

/** Opens the store of data directory `dir`, which must exist; refuses a foreign or damaged one without writing. */
export function openStore(dir: string, options: StoreOptions = {}): Store {
  return SqliteStore.open(storeLocation(dir).path, options);
}

/** A read-only view of the ledger at `location`, on a connection of its own: what a worker thread opens. */
export function openStoreReader(location: StoreLocation): LedgerStore {
  switch (location.engine) {
    case "sqlite":
      return openSqliteReader(location.path);
  }
}
