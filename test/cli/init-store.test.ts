// `arbiter init --store <url> [--store-schema <name>]` through the built CLI: the setting written to
// config.json, its refusals, and a URL's password never printed, whatever the command answers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { arbiter, tempDir } from "../support/cli.js";

const PASSWORD = "hunter2-Sekret";
const URL_WITH_PASSWORD = `postgres://alice:${PASSWORD}@127.0.0.1:5432/test`;

const storeOf = (data: string): unknown => (JSON.parse(readFileSync(join(data, "config.json"), "utf8")) as { store?: unknown }).store;

function expectNoPassword(result: { stdout: string; stderr: string }): void {
  expect(result.stdout).not.toContain(PASSWORD);
  expect(result.stderr).not.toContain(PASSWORD);
}

describe("arbiter init --store", () => {
  it("names the URL without its password when the server refuses the connection, and leaves no directory half made", () => {
    const data = join(tempDir(), "data");
    // The machine's server has no role alice: the connection is refused before anything is written.
    const result = arbiter(["init", "--data", data, "--store", URL_WITH_PASSWORD, "--store-schema", "arbiter_ci"]);
    expectNoPassword(result);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/cannot connect to the PostgreSQL store .*postgres:\/\/alice:\*\*\*@127\.0\.0\.1:5432\/test/);
    expect(() => readFileSync(join(data, "config.json"))).toThrow();
  });

  it("puts the tables in the schema arbiter when none is named", () => {
    const result = arbiter(["init", "--data", join(tempDir(), "data"), "--store", URL_WITH_PASSWORD]);
    expectNoPassword(result);
    expect(result.stderr).toContain("(schema arbiter)");
  });

  it("refuses another scheme, a schema that is not a plain identifier, and --store-schema alone, writing nothing and printing no password", () => {
    const cases: [string[], string][] = [
      [["--store", `mysql://alice:${PASSWORD}@127.0.0.1/test`], "arbiter: --store must be a postgres:// or postgresql:// URL [USAGE]\n"],
      [["--store", URL_WITH_PASSWORD, "--store-schema", "Prod-Store"], "arbiter: --store-schema must be a plain lower-case identifier (letters, digits, _; not pg_…; at most 63) [USAGE]\n"],
      [["--store-schema", "arbiter"], "arbiter: --store-schema needs --store [USAGE]\n"],
    ];
    for (const [flags, message] of cases) {
      const data = join(tempDir(), "data");
      const result = arbiter(["init", "--data", data, ...flags]);
      expect(result.status).toBe(2);
      expect(result.stderr).toBe(message);
      expectNoPassword(result);
      expect(() => readFileSync(join(data, "config.json"))).toThrow();
    }
  });

  it("refuses to move an initialised data directory's store, naming both without a password", () => {
    const data = join(tempDir(), "data");
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    const result = arbiter(["init", "--data", data, "--store", URL_WITH_PASSWORD]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("is already initialised with its store in the data directory's own database; a data directory's store never changes");
    expectNoPassword(result);
    expect(storeOf(data)).toBeUndefined();
    const again = arbiter(["init", "--data", data]);
    expect(again.status).toBe(0);
    expect(again.stdout).not.toContain("store:");
  });
});
