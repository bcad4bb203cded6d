// Handles for the tests that read or damage the store's tables on purpose: the product hands out
// repositories only (Store), so these open the data directory's store themselves, on either engine
// (queryStore, storeContents) or, for what holds only for SQLite's files, its database file.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { SqliteStore, storeLocation, type SqliteDatabase, type Store } from "../../src/store/index.js";
import { PgConnection } from "../../src/store/postgres/connection.js";

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

/**
 * Runs one statement (placeholders `?`) on data directory `dir`'s store from a connection of its own,
 * whichever engine keeps it, as someone with write access to the store would: the rows a query
 * returns, none for a change. `foreignKeys: false` writes past the foreign keys (SQLite's pragma,
 * PostgreSQL's replica role), as a hand-edit of the store could.
 */
export function queryStore<R = Record<string, unknown>>(dir: string, sql: string, params: readonly unknown[] = [], options: { foreignKeys?: boolean } = {}): R[] {
  const location = storeLocation(dir);
  if (location.engine === "sqlite") {
    return withStoreDatabase(dir, (db) => {
      if (options.foreignKeys === false) db.pragma("foreign_keys = OFF");
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as R[];
      statement.run(...params);
      return [];
    });
  }
  const conn = PgConnection.open(location);
  try {
    if (options.foreignKeys === false) conn.query("SET session_replication_role = replica");
    let n = 0;
    return conn.query<R>(sql.replace(/\?/g, () => `$${++n}`), params);
  } finally {
    conn.close();
  }
}

/**
 * What an attacker who read data directory `dir`'s store would see: on SQLite the database files'
 * bytes (storeFileBytes); on PostgreSQL every row of every table of its schema, as text.
 */
export function storeContents(dir: string): Buffer {
  const location = storeLocation(dir);
  if (location.engine === "sqlite") return storeFileBytes(dir);
  const conn = PgConnection.open(location);
  try {
    const tables = conn.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", [location.schema]);
    const text = tables.map(({ tablename }) => conn.query<{ row: string }>(`SELECT t::text AS row FROM "${tablename}" t`).map((r) => r.row).join("\n"));
    return Buffer.from(text.join("\n"), "utf8");
  } finally {
    conn.close();
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
