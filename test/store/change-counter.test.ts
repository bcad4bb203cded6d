// The change counter moves on this process's bumps and on any other process's commit, and on nothing else;
// a cache bound to it drops an entry once it moved, or once the entry's own time ran out.
import { describe, expect, it } from "vitest";
import { ChangeBoundCache, changeCounterOf } from "../../src/store/index.js";
import { arbiter } from "../support/cli.js";
import { freshLedger } from "../support/ledger.js";
import { liveConnection } from "../support/store.js";

describe("ChangeCounter", () => {
  it("moves when this process bumps it or another process commits, and stays put for reads and own unbumped writes", async () => {
    const { store, dir, ledger } = freshLedger();
    // The counter belongs to a connection: the one the ledger writes through.
    const db = liveConnection(store);
    try {
      const counter = changeCounterOf(db);
      expect(changeCounterOf(db)).toBe(counter);
      const v0 = counter.version();
      expect(counter.version()).toBe(v0);
      // A write of this connection that no cache depends on (a ledger append) does not move it.
      await ledger.append({ kind: "event", source: "ci", subject: { id: "bot", type: "pipeline" }, action: "deploy", resource: { id: "svc" }, outcome: "allow" });
      expect(counter.version()).toBe(v0);
      counter.bump();
      const v1 = counter.version();
      expect(v1).not.toBe(v0);
      expect(counter.version()).toBe(v1);
      // Another real process commits to the same file.
      const line = JSON.stringify({ kind: "event", source: "ci", subject: { id: "bot", type: "pipeline" }, action: "deploy", resource: { id: "svc-2" }, outcome: "allow" });
      const appended = arbiter(["log", "append", "-", "--data", dir], { input: line });
      expect(appended.status, appended.stderr).toBe(0);
      const v2 = counter.version();
      expect(v2).not.toBe(v1);
      expect(counter.version()).toBe(v2);
    } finally {
      await ledger.close();
    }
  });
});

describe("ChangeBoundCache", () => {
  it("answers while the version is the one stored and the entry's time has not run out", () => {
    const cache = new ChangeBoundCache<string>(2);
    cache.set("a", "A", 1, 1000);
    expect(cache.get("a", 1, 999)).toBe("A");
    expect(cache.get("a", 1, 1000)).toBeUndefined();
    cache.set("a", "A", 1);
    expect(cache.get("a", 2, 0)).toBeUndefined();
    // Dropped for good once stale, even if asked with the old version again.
    expect(cache.get("a", 1, 0)).toBeUndefined();
  });

  it("keeps at most its bound, dropping the oldest entry", () => {
    const cache = new ChangeBoundCache<number>(2);
    cache.set("a", 1, 1);
    cache.set("b", 2, 1);
    cache.set("c", 3, 1);
    expect([cache.get("a", 1, 0), cache.get("b", 1, 0), cache.get("c", 1, 0)]).toEqual([undefined, 2, 3]);
  });
});
