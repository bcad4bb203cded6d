// The synchronous PostgreSQL connection against the real server: values both ways, errors with their
// SQLSTATE, transactions that commit or roll back, and a refusal for a foreign schema.
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import { PgConnection, PgError, SESSION_BOUNDS, isUniqueViolation } from "../../../src/store/postgres/connection.js";
import { migratePostgres } from "../../../src/store/postgres/migrations.js";
import { PG_URL, freshPgConnection, freshPgLocation } from "../../support/postgres.js";
import { refusalOf } from "../../support/errors.js";

/** Another session, on this thread's event loop (the synchronous connection's worker serves one call at a time). */
async function otherSession(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: PG_URL });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

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

  it("bounds every session on the server's side, below the call's own timeout", () => {
    const conn = freshPgConnection();
    try {
      const shown = conn.query<Record<string, string>>(
        "SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout, current_setting('idle_in_transaction_session_timeout') AS idle",
      );
      expect(shown).toEqual([{ lock_timeout: "20s", statement_timeout: "25s", idle: "1min" }]);
      expect(SESSION_BOUNDS).toEqual({ lock_timeout: "20s", statement_timeout: "25s", idle_in_transaction_session_timeout: "60s" });
    } finally {
      conn.close();
    }
  });

  it("ends a wait for a lock another session holds with a clear refusal, and keeps its session", async () => {
    const holder = await otherSession();
    const conn = freshPgConnection();
    try {
      conn.setting("SET lock_timeout = '300ms'");
      const pid = conn.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")[0]?.pid;
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('arbiter-test-lock'))");
      const refused = refusalOf(() => conn.transaction(() => conn.query("SELECT pg_advisory_xact_lock(hashtext('arbiter-test-lock'))")));
      expect(refused.code).toBe("LEDGER_UNAVAILABLE");
      expect(refused.message).toMatch(/lock timeout.*another session held a lock of the store for longer than lock_timeout/);
      expect(conn.inTransaction).toBe(false);
      expect(conn.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")[0]?.pid).toBe(pid);
      await holder.query("ROLLBACK");
      expect(conn.transaction(() => conn.query("SELECT pg_advisory_xact_lock(hashtext('arbiter-test-lock'))"))).toHaveLength(1);
    } finally {
      conn.close();
      await holder.end();
    }
  });

  it("ends a statement that runs too long with a clear refusal, and keeps its session", () => {
    const conn = freshPgConnection();
    try {
      conn.setting("SET statement_timeout = '200ms'");
      const pid = conn.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")[0]?.pid;
      const refused = refusalOf(() => conn.query("SELECT pg_sleep(2)"));
      expect(refused.code).toBe("LEDGER_UNAVAILABLE");
      expect(refused.message).toMatch(/statement timeout.*longer than statement_timeout/);
      expect(conn.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")[0]?.pid).toBe(pid);
    } finally {
      conn.close();
    }
  });

  it("has the server end a session left idle inside a transaction, freeing the locks it held for other sessions", async () => {
    const other = await otherSession();
    const frozen = freshPgConnection();
    try {
      frozen.setting("SET idle_in_transaction_session_timeout = '300ms'");
      // As a process stopped while it holds the ledger's lock: the transaction opened, then nothing more.
      frozen.batch([{ text: "BEGIN" }, { text: "SELECT pg_advisory_xact_lock(hashtext('arbiter-test-frozen'))" }]);
      const tryLock = async () => (await other.query<{ got: boolean }>("SELECT pg_try_advisory_lock(hashtext('arbiter-test-frozen')) AS got")).rows[0]?.got;
      expect(await tryLock()).toBe(false);
      await sleep(1000);
      expect(await tryLock()).toBe(true);
      // The frozen session's next call learns it is gone; the one after works on a new session.
      expect(refusalOf(() => frozen.query("SELECT 1")).code).toBe("LEDGER_UNAVAILABLE");
      expect(frozen.query<{ one: number }>("SELECT 1 AS one")).toEqual([{ one: 1 }]);
    } finally {
      frozen.close();
      await other.end();
    }
  });
});
