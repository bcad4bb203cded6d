// The real PostgreSQL server on this machine (127.0.0.1:5432, trust auth, database `test`; .ci/run
// starts it), one fresh schema per test so that tests running in parallel never share tables.
import { randomBytes } from "node:crypto";
import { afterAll } from "vitest";
import { PgConnection, type PostgresLocation } from "../../src/store/postgres/connection.js";
import { migratePostgres } from "../../src/store/postgres/migrations.js";

export const PG_URL = process.env.ARBITER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

const made: PostgresLocation[] = [];

afterAll(() => {
  if (made.length === 0) return;
  const admin = PgConnection.open({ engine: "postgres", url: PG_URL, schema: "public" });
  try {
    for (const location of made.splice(0)) admin.query(`DROP SCHEMA IF EXISTS "${location.schema}" CASCADE`);
  } finally {
    admin.close();
  }
});

/** A schema no other test uses (dropped after the file's tests). */
export function freshPgLocation(): PostgresLocation {
  const location: PostgresLocation = { engine: "postgres", url: PG_URL, schema: `arbiter_test_${randomBytes(6).toString("hex")}` };
  made.push(location);
  return location;
}

/** A connection to a fresh schema holding the current Arbiter tables. */
export function freshPgConnection(): PgConnection {
  const conn = PgConnection.open(freshPgLocation(), { createSchema: true });
  migratePostgres(conn, { create: true });
  return conn;
}
