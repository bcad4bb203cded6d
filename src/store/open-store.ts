// The data directory's store: the one place that picks the implementation (SQLite in the data
// directory, unless config.json names a PostgreSQL store), so that no room outside store/ names an
// engine to open, create or read one.
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { LedgerStore } from "./types.js";
import type { Store, StoreLocation } from "./contracts/store.js";
import { DATA_FILES, readConfig } from "./data-dir.js";
import { PostgresStore, openPostgresReader } from "./postgres/store.js";
import { openDatabase } from "./sqlite/database.js";
import { SqliteStore, openSqliteReader, type SqliteStoreOptions } from "./sqlite/store.js";

export type StoreOptions = SqliteStoreOptions;

/** Where data directory `dir` keeps its store: config.json's `store`, else its arbiter.db (also for a directory with no config yet). */
export function storeLocation(dir: string): StoreLocation {
  const store = existsSync(join(dir, DATA_FILES.config)) ? readConfig(dir).store : undefined;
  return store ?? { engine: "sqlite", path: join(dir, DATA_FILES.database) };
}

/**
 * Creates the store of data directory `dir` (create: true, `arbiter init`), or checks that the one
 * there is a store this build can use and brings its schema up to date; leaves nothing open.
 */
export function initStore(dir: string, options: { create: boolean }): void {
  const location = storeLocation(dir);
  switch (location.engine) {
    case "sqlite":
      openDatabase(location.path, { create: options.create }).close();
      return;
    case "postgres":
      PostgresStore.open(location, { create: options.create }).ledger.close();
      return;
  }
}

/**
 * Creates a store that a new data directory will name (`arbiter init --store`), before any file of
 * the directory is written, so that a server that cannot be reached leaves nothing half made. Refuses
 * a location that holds a store already: that store belongs to another log, with keys of its own.
 */
export function createStoreAt(location: StoreLocation): void {
  switch (location.engine) {
    case "sqlite":
      openDatabase(location.path, { create: true }).close();
      return;
    case "postgres":
      PostgresStore.open(location, { create: true, fresh: true }).ledger.close();
      return;
  }
}

/** Opens the store of data directory `dir`, which must exist; refuses a foreign or damaged one without writing. */
export function openStore(dir: string, options: StoreOptions = {}): Store {
  const location = storeLocation(dir);
  switch (location.engine) {
    case "sqlite":
      return SqliteStore.open(location.path, options);
    case "postgres":
      return PostgresStore.open(location);
  }
}

/** A read-only view of the ledger at `location`, on a connection of its own: what a worker thread opens. */
export function openStoreReader(location: StoreLocation): LedgerStore {
  switch (location.engine) {
    case "sqlite":
      return openSqliteReader(location.path);
    case "postgres":
      return openPostgresReader(location);
  }
}
