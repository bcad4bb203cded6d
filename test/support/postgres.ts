// The real PostgreSQL server on this machine (127.0.0.1:5432, trust auth, database `test`; .ci/run
// starts it), one fresh schema per store so that tests running in parallel never share tables. The
// schemas of a test run carry the run's name and are dropped once every file of the run has ended
// (global-setup.ts): a file's own afterAll would drop them under a runtime its beforeAll still closes.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { PgConnection, type PostgresLocation } from "../../src/store/postgres/connection.js";
import { migratePostgres } from "../../src/store/postgres/migrations.js";

export const PG_URL = process.env.ARBITER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The prefix of every schema a test run makes: `arbiter_test_<run>_`. */
export function runSchemaPrefix(run: string): string {
  return `arbiter_test_${run}_`;
}

/** Drops every schema made by test run `run`. */
export function dropRunSchemas(run: string): void {
  const admin = PgConnection.open({ engine: "postgres", url: PG_URL, schema: "public" });
  try {
    const rows = admin.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [runSchemaPrefix(run)]);
    for (const { nspname } of rows) admin.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    admin.close();
  }
}

/** A schema no other test uses (dropped at the end of the run). */
export function freshPgLocation(): PostgresLocation {
  return { engine: "postgres", url: PG_URL, schema: `${runSchemaPrefix(inject("pgRun"))}${randomBytes(6).toString("hex")}` };
}

/** A connection to a fresh schema holding the current Arbiter tables. */
export function freshPgConnection(): PgConnection {
  const conn = PgConnection.open(freshPgLocation(), { createSchema: true });
  migratePostgres(conn, { create: true });
  return conn;
}
