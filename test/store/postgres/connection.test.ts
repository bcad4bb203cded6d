// The synchronous PostgreSQL connection against the real server: values both ways, errors with their
// SQLSTATE, transactions that commit or roll back, and a refusal for a foreign schema.
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import { PgConnection, PgError, isUniqueViolation } from "../../../src/store/postgres/connection.js";
import { migratePostgres } from "../../../src/store/postgres/migrations.js";
import { freshPgConnection, freshPgLocation } from "../../support/postgres.js";

describe("PgConnection", () => {
  it("reads and writes text, numbers beyond 32 bits and bytes, synchronously", () => {
    const conn = freshPgConnection();
    try {
      conn.query("CREATE TABLE t (i BIGINT PRIMARY KEY, s TEXT, b BYTEA)");
      const bytes = Buffer.from([0, 1, 2, 255]);
      conn.query("INSERT INTO t VALUES ($1, $2, $3)", [2 ** 40, "é", bytes]);
      const [row] = conn.query<{ i: number; s: string; b: Buffer }>("SELECT i, s, b FROM t");
      expect(row).toEqual({ i: 2 ** 40, s: "é", b: bytes });
      expect(Buffer.isBuffer(row?.b)).toBe(true);
    } finally {
      conn.close();
    }
  });

  it("throws a PgError carrying the SQLSTATE, and rolls a failed transaction back", () => {
    const conn = freshPgConnection();
    try {
      conn.query("CREATE TABLE t (k TEXT PRIMARY KEY)");
      expect(() =>
        conn.transaction(() => {
          conn.query("INSERT INTO t VALUES ('a')");
          conn.query("INSERT INTO t VALUES ('a')");
        }),
      ).toThrow(PgError);
      expect(conn.query("SELECT count(*)::int AS n FROM t")).toEqual([{ n: 0 }]);
      try {
        conn.batch([{ text: "INSERT INTO t VALUES ('b')" }, { text: "INSERT INTO t VALUES ('b')" }]);
      } catch (err) {
        expect(isUniqueViolation(err)).toBe(true);
      }
      expect(conn.transaction(() => conn.query<{ k: string }>("SELECT k FROM t"))).toEqual([{ k: "b" }]);
      expect(conn.inTransaction).toBe(false);
    } finally {
      conn.close();
    }
  });

  it("refuses a schema that holds someone else's tables, without touching them", () => {
    const location = freshPgLocation();
    const conn = PgConnection.open(location, { createSchema: true });
    try {
      conn.query("CREATE TABLE payroll (id INT)");
      expect(() => migratePostgres(conn, { create: true })).toThrow(/not an Arbiter store/);
      expect(conn.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()")).toEqual([{ n: 1 }]);
    } finally {
      conn.close();
    }
  });

  it("refuses to open a schema with no store unless asked to create one", () => {
    const conn = PgConnection.open(freshPgLocation(), { createSchema: true });
    try {
      expect(() => migratePostgres(conn, { create: false })).toThrow(/run `arbiter init` first/);
    } finally {
      conn.close();
    }
  });

  it("gives every call its own answer, thousands in a row", () => {
    const conn = freshPgConnection();
    try {
      // Each answer is checked against its call: a wake-up meant for the previous answer must never
      // be taken for the next one (or for none).
      for (let i = 0; i < 5000; i++) expect(conn.query<{ n: number }>("SELECT $1::int AS n", [i])[0]?.n).toBe(i);
    } finally {
      conn.close();
    }
  });

  it("reports a connection the server ended as the store being unavailable, not as a bug, and opens a new session on the next call", () => {
    const victim = freshPgConnection();
    const admin = PgConnection.open(victim.location);
    try {
      victim.setting("SET statement_timeout = '7s'");
      const [{ pid } = { pid: 0 }] = victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      admin.query("SELECT pg_terminate_backend($1)", [pid]);
      let err: unknown;
      try {
        victim.query("SELECT 1");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArbiterError);
      expect((err as ArbiterError).code).toBe("LEDGER_UNAVAILABLE");
      // The next call finds a new session, in the same schema, with the settings made before.
      expect(victim.query<{ statement_timeout: string }>("SHOW statement_timeout")).toEqual([{ statement_timeout: "7s" }]);
      expect(victim.query<{ s: string }>("SELECT current_schema() AS s")).toEqual([{ s: victim.location.schema }]);
      expect(victim.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")[0]?.pid).not.toBe(pid);
    } finally {
      admin.close();
      victim.close();
    }
  });

  it("reports an unreachable server as the store being unavailable", () => {
    const err = (() => {
      try {
        PgConnection.open({ engine: "postgres", url: "postgres://postgres@127.0.0.1:1/test", schema: "x" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ArbiterError);
    expect((err as ArbiterError).code).toBe("LEDGER_UNAVAILABLE");
  });
});
