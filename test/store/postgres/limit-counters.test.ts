// Limit counters on PostgreSQL: the limit store contract against the real server, one budget across
// connections, a key's lock held from the read to the commit, and replicas racing for the last tokens.
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CountedLimits } from "../../../src/decide/index.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgLimitCounters } from "../../../src/store/postgres/limit-counters.js";
import { freshPgConnection } from "../../support/postgres.js";
import { at, limitStoreSuite } from "../../decide/limit-store-suite.js";

limitStoreSuite("PostgreSQL", () => new CountedLimits(new PgLimitCounters(freshPgConnection())));

const DIST = new URL("../../../dist/", import.meta.url).href;

/**
 * A replica of its own (a process with its own connection, running the built store) taking `tries`
 * units of a quota of `count`; resolves with how many it got.
 */
function replica(location: PgConnection["location"], tries: number, count: number): Promise<number> {
  const code = `
    const [dist, location, tries, count, now] = JSON.parse(process.argv[1]);
    const { PgConnection } = await import(dist + "store/postgres/connection.js");
    const { PgLimitCounters } = await import(dist + "store/postgres/limit-counters.js");
    const { CountedLimits } = await import(dist + "decide/index.js");
    const conn = PgConnection.open(location);
    const limits = new CountedLimits(new PgLimitCounters(conn));
    const spec = [{ id: "race", quota: { count, perSeconds: 3600 } }];
    let taken = 0;
    for (let i = 0; i < tries; i++) if ((await limits.take(spec, "bot", "deploy", new Date(now))).allowed) taken++;
    conn.close();
    process.stdout.write(String(taken));`;
  const args = JSON.stringify([DIST, location, tries, count, at(0).getTime()]);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", code, args], { timeout: 50_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(Number(stdout)),
    );
  });
}

describe("PostgreSQL limit counters", () => {
  const limits = [{ id: "three-a-minute", rate: { count: 3, perSeconds: 60 } }];

  it("count one budget across connections to the same schema", async () => {
    const conn = freshPgConnection();
    const other = PgConnection.open(conn.location);
    try {
      const first = new CountedLimits(new PgLimitCounters(conn));
      const second = new CountedLimits(new PgLimitCounters(other));
      expect(await first.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 2 });
      expect(await second.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 1 });
      expect(await first.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 0 });
      expect(await second.take(limits, "bot", "search", at(1))).toMatchObject({ allowed: false, limitId: "three-a-minute", retryAfterSeconds: 19 });
    } finally {
      other.close();
      conn.close();
    }
  });

  it("holds each key's lock from the read to the commit: another connection cannot read the key meanwhile", () => {
    const conn = freshPgConnection();
    const other = PgConnection.open(conn.location);
    try {
      other.query("SET lock_timeout = '200ms'");
      const mine = new PgLimitCounters(conn);
      const theirs = new PgLimitCounters(other);
      const one = { value: 1, atMs: at(0).getTime(), expiresMs: at(60).getTime() };
      const seen = mine.update(["k", "j"], at(0).getTime(), (counters) => {
        expect(counters).toEqual([undefined, undefined]);
        // While this update holds "k", the other connection's update of "k" times out waiting, and leaves its connection usable.
        expect(() => theirs.update(["k"], at(0).getTime(), () => ({ writes: new Map(), result: undefined }))).toThrow(/lock timeout/);
        expect(theirs.update(["other"], at(0).getTime(), (c) => ({ writes: new Map(), result: c }))).toEqual([undefined]);
        return { writes: new Map([[0, one]]), result: "written" };
      });
      expect(seen).toBe("written");
      expect(theirs.update(["k", "j"], at(1).getTime(), (c) => ({ writes: new Map(), result: c }))).toEqual([one, undefined]);
      expect(other.inTransaction).toBe(false);
    } finally {
      other.close();
      conn.close();
    }
  });

  it("writes nothing when the change throws, and the connection stays usable", () => {
    const conn = freshPgConnection();
    try {
      const table = new PgLimitCounters(conn);
      expect(() => table.update(["k"], at(0).getTime(), () => { throw new Error("refused"); })).toThrow("refused");
      const bad = { value: 1, atMs: 0.5, expiresMs: at(60).getTime() };
      expect(() => table.update(["k"], at(0).getTime(), () => ({ writes: new Map([[0, bad]]), result: undefined }))).toThrow();
      expect(table.update(["k"], at(0).getTime(), (c) => ({ writes: new Map(), result: c }))).toEqual([undefined]);
      expect(conn.query("SELECT count(*) AS n FROM limit_counters")).toEqual([{ n: 0 }]);
    } finally {
      conn.close();
    }
  });

  it("never lets two replicas both take the last tokens", async () => {
    const conn = freshPgConnection();
    try {
      const taken = await Promise.all([replica(conn.location, 400, 500), replica(conn.location, 400, 500)]);
      expect(taken[0] + taken[1]).toBe(500);
      expect(Math.min(...taken)).toBeGreaterThan(0);
      expect(conn.query("SELECT value FROM limit_counters")).toEqual([{ value: 500 }]);
    } finally {
      conn.close();
    }
  }, 60_000);

  it("deletes counters once they are the same as none (a full bucket, an ended window)", async () => {
    const conn = freshPgConnection();
    try {
      const store = new CountedLimits(new PgLimitCounters(conn));
      const count = (): number => conn.query<{ n: number }>("SELECT count(*) AS n FROM limit_counters")[0]?.n ?? -1;
      await store.take(limits, "a", "search", at(0));
      await store.take([{ id: "day", quota: { count: 9, perSeconds: 86400 } }], "a", "search", at(0));
      expect(count()).toBe(2);
      await store.take(limits, "b", "search", at(86400));
      expect(count()).toBe(1);
    } finally {
      conn.close();
    }
  });
});
