// The store a test's data directory keeps its tables in. Every test that makes a data directory makes
// it here (or through `arbiter init` run by support/cli.ts), so one switch runs the same tests on
// either engine: ARBITER_TEST_STORE=postgres puts each new directory's store in a schema of its own
// on the machine's PostgreSQL server (vitest.config.ts runs the storage-touching tests both ways).
import { existsSync } from "node:fs";
import { it } from "vitest";
import { join } from "node:path";
import { initLedgerDir, type InitOptions, type InitResult } from "../../src/ledger/index.js";
import { freshPgLocation, PG_URL } from "./postgres.js";

export type StoreUnderTest = "sqlite" | "postgres";

export const STORE_UNDER_TEST: StoreUnderTest = process.env.ARBITER_TEST_STORE === "postgres" ? "postgres" : "sqlite";

/** initDataDir, with a fresh PostgreSQL schema as the store when the tests run on PostgreSQL. */
export function initDataDir(dir: string, options: InitOptions = {}): InitResult {
  const onPostgres = STORE_UNDER_TEST === "postgres" && options.store === undefined && !isDataDir(dir);
  return initLedgerDir(dir, onPostgres ? { ...options, store: freshPgLocation() } : options);
}

/**
 * The flags `arbiter init` needs to make a directory on the store under test: none on SQLite, none for
 * a directory already made (its store never changes), else a fresh schema on the PostgreSQL server.
 */
export function storeInitFlags(dir: string | undefined): string[] {
  if (STORE_UNDER_TEST === "sqlite" || dir === undefined || isDataDir(dir)) return [];
  return ["--store", PG_URL, "--store-schema", freshPgLocation().schema];
}

function isDataDir(dir: string): boolean {
  return existsSync(join(dir, "config.json"));
}

/** A test of what holds only for SQLite's database files (their bytes, pages, pragmas): skipped on PostgreSQL. */
export const itOnSqlite = it.skipIf(STORE_UNDER_TEST !== "sqlite");
