// The data directory's store setting: config.json's optional `store` (a PostgreSQL URL and schema),
// checked when read; where storeLocation then points; and a URL's password kept out of every message.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DATA_FORMAT, createDataDir, initStore, openStore, openStoreReader, readConfig, redactUrl, storeLocation, type DataDirConfig } from "../../src/store/index.js";
import { PgConnection } from "../../src/store/postgres/connection.js";
import { scrubPassword } from "../../src/store/postgres/location.js";
import { tempDir } from "../support/cli.js";
import { refusalOf } from "../support/errors.js";

const PASSWORD = "s3cr%40t-Pa55";
const URL_WITH_PASSWORD = `postgres://alice:${PASSWORD}@127.0.0.1:5432/test`;

const config = (store?: unknown): Record<string, unknown> => ({
  format: DATA_FORMAT, origin: "arbiter.test/store", checkpoint_interval_ms: 0, created_at: "2026-12-06T10:00:00.000Z", ...(store !== undefined ? { store } : {}),
});

function dirWith(content: Record<string, unknown>): string {
  const dir = tempDir("arbiter-store-setting-");
  writeFileSync(join(dir, "config.json"), JSON.stringify(content));
  return dir;
}

describe("config.json's store setting", () => {
  it("is optional: without it the store is the directory's arbiter.db, as for a directory with no config yet", () => {
    const dir = dirWith(config());
    expect(readConfig(dir).store).toBeUndefined();
    expect(storeLocation(dir)).toEqual({ engine: "sqlite", path: join(dir, "arbiter.db") });
    const bare = join(tempDir("arbiter-store-setting-"), "nothing-here");
    expect(storeLocation(bare)).toEqual({ engine: "sqlite", path: join(bare, "arbiter.db") });
  });

  it("names a PostgreSQL store that storeLocation returns", () => {
    for (const url of ["postgres://bot@127.0.0.1/test", "postgresql://bot@127.0.0.1:5432/test?sslmode=disable", URL_WITH_PASSWORD]) {
      const store = { engine: "postgres", url, schema: "arbiter_prod" };
      const dir = dirWith(config(store));
      expect(readConfig(dir).store).toEqual(store);
      expect(storeLocation(dir)).toEqual(store);
    }
  });

  it("refuses another scheme, a schema that is not a plain identifier, another engine or an unknown field, without quoting the URL", () => {
    const cases: [unknown, RegExp][] = [
      [{ engine: "postgres", url: `mysql://alice:${PASSWORD}@127.0.0.1/test`, schema: "arbiter" }, /store\.url: must be a postgres:\/\/ or postgresql:\/\/ URL/],
      [{ engine: "postgres", url: `postgres://alice:${PASSWORD}@[::1/test`, schema: "arbiter" }, /store\.url: is not a readable URL/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: "Arbiter" }, /store\.schema: must be a plain lower-case identifier/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: "a-b" }, /store\.schema/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: "pg_catalog" }, /store\.schema/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: `a${"b".repeat(63)}` }, /store\.schema/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: "x; DROP TABLE y" }, /store\.schema/],
      [{ engine: "mysql", url: URL_WITH_PASSWORD, schema: "arbiter" }, /store\.engine/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD }, /store\.schema/],
      [{ engine: "postgres", url: URL_WITH_PASSWORD, schema: "arbiter", password: "x" }, /store/],
    ];
    for (const [store, message] of cases) {
      const err = refusalOf(() => readConfig(dirWith(config(store))));
      expect(err.code).toBe("DATA_DIR_INVALID");
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(PASSWORD);
      expect(JSON.stringify(err.details)).not.toContain(PASSWORD);
    }
  });

  it("is written readable by its owner only when its URL holds a password", () => {
    const base = config() as DataDirConfig;
    const secret = join(tempDir("arbiter-store-setting-"), "data");
    createDataDir(secret, { ...base, store: { engine: "postgres", url: URL_WITH_PASSWORD, schema: "arbiter" } });
    expect(statSync(join(secret, "config.json")).mode & 0o077).toBe(0);
    expect(readConfig(secret).store?.url).toBe(URL_WITH_PASSWORD);
    const inQuery = join(tempDir("arbiter-store-setting-"), "data");
    createDataDir(inQuery, { ...base, store: { engine: "postgres", url: "postgres://alice@127.0.0.1/test?password=x", schema: "arbiter" } });
    expect(statSync(join(inQuery, "config.json")).mode & 0o077).toBe(0);
    const plain = join(tempDir("arbiter-store-setting-"), "data");
    createDataDir(plain, { ...base, store: { engine: "postgres", url: "postgres://alice@127.0.0.1/test", schema: "arbiter" } });
    expect((JSON.parse(readFileSync(join(plain, "config.json"), "utf8")) as DataDirConfig).store?.schema).toBe("arbiter");
  });

  it("opens, creates and reads the PostgreSQL store it names, and a refused connection names it without its password", () => {
    const dir = dirWith(config({ engine: "postgres", url: URL_WITH_PASSWORD, schema: "arbiter" }));
    const location = storeLocation(dir);
    for (const attempt of [() => initStore(dir, { create: true }), () => initStore(dir, { create: false }), () => openStore(dir), () => openStoreReader(location)]) {
      const err = refusalOf(attempt);
      // The machine's server has no role alice: each attempt reaches the server and is refused there.
      expect(err.code).toBe("LEDGER_UNAVAILABLE");
      expect(err.message).toMatch(/^cannot connect to the PostgreSQL store at postgres:\/\/alice:\*\*\*@127\.0\.0\.1:5432\/test \(schema arbiter\): /);
      expect(err.message).not.toContain(PASSWORD);
      expect(JSON.stringify(err.details)).not.toContain(PASSWORD);
    }
  });
});

describe("a store URL in messages", () => {
  it("shows no password, in the user part or as a parameter", () => {
    expect(redactUrl("postgres://user:pw@db.example/prod")).toBe("postgres://user:***@db.example/prod");
    expect(redactUrl(URL_WITH_PASSWORD)).toBe("postgres://alice:***@127.0.0.1:5432/test");
    expect(redactUrl("postgresql://u@h/db?sslmode=require&PassWord=abc")).toBe("postgresql://u@h/db?sslmode=require&PassWord=***");
    expect(redactUrl("postgres://u@h/db")).toBe("postgres://u@h/db");
    expect(redactUrl("postgresql:///db?host=/run/postgresql")).toBe("postgresql:///db?host=/run/postgresql");
    expect(redactUrl(`postgres://alice:${PASSWORD}@[::1/test`)).toBe("postgres://***");
  });

  it("is scrubbed from a driver's message, as written and decoded", () => {
    const decoded = decodeURIComponent(PASSWORD);
    expect(scrubPassword(`bad ${URL_WITH_PASSWORD}; password "${decoded}" refused`, URL_WITH_PASSWORD)).toBe(
      'bad postgres://alice:***@127.0.0.1:5432/test; password "***" refused',
    );
  });

  it("stays out of the refusal when the server cannot be reached", () => {
    const err = refusalOf(() => PgConnection.open({ engine: "postgres", url: `postgres://alice:${PASSWORD}@127.0.0.1:1/test`, schema: "arbiter" }));
    expect(err.code).toBe("LEDGER_UNAVAILABLE");
    expect(err.message).toContain("postgres://alice:***@127.0.0.1:1/test");
    expect(err.message).not.toContain(PASSWORD);
    expect(err.message).not.toContain(decodeURIComponent(PASSWORD));
  });
});
