// Limit counters in the data directory's database: the limit store contract, shared by every
// connection on the file, kept across a reopen, and pruned once expired.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CountedLimits } from "../../src/decide/index.js";
import { openDatabase, SqliteLimitCounters, type SqliteDatabase } from "../../src/store/index.js";
import { at, limitStoreSuite } from "../decide/limit-store-suite.js";
import { tempDir } from "../support/cli.js";

const opened: SqliteDatabase[] = [];
afterAll(() => opened.forEach((db) => db.close()));

function open(path: string): SqliteDatabase {
  const db = openDatabase(path, { create: true });
  opened.push(db);
  return db;
}

limitStoreSuite("SQLite", () => new CountedLimits(new SqliteLimitCounters(open(join(tempDir("arbiter-limits-"), "store.db")))));

describe("SQLite limit counters", () => {
  const limits = [{ id: "three-a-minute", rate: { count: 3, perSeconds: 60 } }];

  it("count one budget across connections to the same file, and after a reopen", async () => {
    const path = join(tempDir("arbiter-limits-"), "store.db");
    const first = new CountedLimits(new SqliteLimitCounters(open(path)));
    const second = new CountedLimits(new SqliteLimitCounters(open(path)));
    expect(await first.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 2 });
    expect(await second.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 1 });
    const db = open(path);
    const third = new CountedLimits(new SqliteLimitCounters(db));
    expect(await third.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: true, remaining: 0 });
    expect(await first.take(limits, "bot", "search", at(0))).toMatchObject({ allowed: false, limitId: "three-a-minute" });
    db.close();
    opened.splice(opened.indexOf(db), 1);
    const reopened = new CountedLimits(new SqliteLimitCounters(open(path)));
    expect(await reopened.take(limits, "bot", "search", at(1))).toMatchObject({ allowed: false, retryAfterSeconds: 19 });
  });

  it("deletes counters once they are the same as none (a full bucket, an ended window)", async () => {
    const db = open(join(tempDir("arbiter-limits-"), "store.db"));
    const store = new CountedLimits(new SqliteLimitCounters(db));
    const count = (): number => db.prepare("SELECT count(*) FROM limit_counters").pluck().get() as number;
    await store.take(limits, "a", "search", at(0));
    await store.take([{ id: "day", quota: { count: 9, perSeconds: 86400 } }], "a", "search", at(0));
    expect(count()).toBe(2);
    // The bucket is full again 20 s later, the day's window ends at midnight: a take after both prunes both.
    await store.take(limits, "b", "search", at(86400));
    expect(db.prepare("SELECT count(*) FROM limit_counters WHERE expires_ms <= ?").pluck().get(at(86400).getTime())).toBe(0);
    expect(count()).toBe(1);
  });
});
