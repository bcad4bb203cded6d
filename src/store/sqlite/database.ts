// Opening the embedded SQLite database: refuse foreign or damaged files before touching them.
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { ArbiterError } from "../../record/errors.js";
import { LATEST_VERSION, MIGRATIONS, STORE_FORMAT } from "./migrations.js";

export type SqliteDatabase = Database.Database;

function describeOpenError(path: string, err: unknown): ArbiterError {
  const message = err instanceof Error ? err.message : String(err);
  return new ArbiterError("DATA_DIR_INVALID", `${path} is not a usable Arbiter store: ${message}`, { path });
}

/**
 * Checks, read-only, that an existing file is an Arbiter store of a version this build knows.
 * Runs before any read-write open because opening read-write (WAL, migrations) changes the file.
 */
function inspectExisting(path: string): void {
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const hasMeta = db
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
      .pluck()
      .get() as number;
    if (hasMeta === 0) {
      throw new ArbiterError("DATA_DIR_INVALID", `${path} is a SQLite database but not an Arbiter store (no meta table)`, { path });
    }
    const format = db.prepare("SELECT value FROM meta WHERE key = 'format'").pluck().get() as string | undefined;
    if (format !== STORE_FORMAT) {
      throw new ArbiterError("DATA_DIR_INVALID", `${path} is not an Arbiter store (format ${JSON.stringify(format ?? null)}, expected ${STORE_FORMAT})`, { path });
    }
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > LATEST_VERSION) {
      throw new ArbiterError("DATA_DIR_INVALID", `${path} was written by a newer Arbiter (schema ${version}, this build knows ${LATEST_VERSION})`, { path });
    }
  } catch (err) {
    if (err instanceof ArbiterError) throw err;
    throw describeOpenError(path, err);
  } finally {
    db?.close();
  }
}

function migrate(db: SqliteDatabase): void {
  const current = db.pragma("user_version", { simple: true }) as number;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      if (migration.version === 1) {
        db.prepare("INSERT INTO meta (key, value) VALUES ('format', ?)").run(STORE_FORMAT);
      }
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

export interface OpenOptions {
  /** Create the file if it does not exist (only `arbiter init` does). */
  create: boolean;
  readonly?: boolean;
  /** How long a write waits for another process's transaction before the ledger reports itself unavailable. */
  busyTimeoutMs?: number;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export function openDatabase(path: string, options: OpenOptions): SqliteDatabase {
  const exists = existsSync(path);
  if (!exists && !options.create) {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} does not exist; run \`arbiter init\` first`, { path });
  }
  if (exists) inspectExisting(path);
  let db: SqliteDatabase;
  try {
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: exists });
    if (!options.readonly) {
      db.pragma("journal_mode = WAL");
      // NORMAL: COMMIT does not fsync; the ledger syncs the WAL itself off the event loop and
      // acknowledges an append only after that (see wal-sync.ts). Checkpoints stay synced by SQLite.
      db.pragma("synchronous = NORMAL");
      // Deleted content (an erased raw value) is overwritten with zeros, not left in a free page or
      // the unused tail of a page where reading the file would still find it.
      db.pragma("secure_delete = ON");
    }
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    // Reads through a memory map skip a copy per page; a full verify reads every page once.
    db.pragma("mmap_size = 1073741824");
  } catch (err) {
    throw describeOpenError(path, err);
  }
  if (!options.readonly) migrate(db);
  return db;
}
