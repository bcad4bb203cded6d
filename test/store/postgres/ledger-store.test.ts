// PgLedgerStore against the real server: each method of the ledger store contract, each refusal
// (an append that does not start at the end, a record id already there, a missing hash), paging past
// one query's rows, the write lock, snapshots and the raw values' erasure.
import { describe, expect, it, vi } from "vitest";
import { ArbiterError } from "../../../src/record/errors.js";
import { completedHashCount, type EntryWrite, type IndexWrite, type StoreEffect } from "../../../src/store/index.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgLedgerStore } from "../../../src/store/postgres/ledger-store.js";
import { freshPgConnection } from "../../support/postgres.js";
import { refusalOf } from "../../support/errors.js";

const noFields = {
  subjectId: null, action: null, resourceId: null, outcome: null, reasonCode: null, control: null, policyVersion: null,
  determining: [], traceId: null, taskId: null, decisionId: null, subjectType: null, subjectOwner: null,
} as const;

function row(index: number, extra: Partial<IndexWrite["fields"]> = {}, time = `2026-12-06T10:${String(index % 60).padStart(2, "0")}:00.000Z`): IndexWrite {
  return { recordId: `rec-${index}`, kind: "event", time, fields: { ...noFields, ...extra } };
}

/** Entry `index` with hashes of its own (the store keeps, not checks, them) and a leaf naming it. */
function entry(index: number, overrides: Partial<EntryWrite> = {}): EntryWrite {
  const hashes = Buffer.concat(Array.from({ length: completedHashCount(index) }, (_, k) => Buffer.alloc(32, (index + k) % 251)));
  return { ...row(index), data: Buffer.from(`{"n":${index}}`), hashes, raw: [], ...overrides };
}

function withStore(test: (store: PgLedgerStore, conn: PgConnection) => void, options: ConstructorParameters<typeof PgLedgerStore>[1] = {}): () => void {
  return () => {
    const conn = freshPgConnection();
    const store = new PgLedgerStore(conn, options);
    try {
      test(store, conn);
    } finally {
      store.close();
    }
  };
}

function append(store: PgLedgerStore, start: number, writes: EntryWrite[]): void {
  store.write((w) => w.insertEntries(start, writes));
}

/** The index rows from `from` taken away, as an older version that indexed after the acknowledgement could leave them. */
function unindex(conn: PgConnection, from: number): void {
  conn.query("DELETE FROM record_policies WHERE idx >= $1", [from]);
  conn.query("DELETE FROM record_index WHERE idx >= $1", [from]);
}

describe("PgLedgerStore", () => {
  it("numbers entries from 0, reads leaves and hashes back, and reads what is not there as undefined", withStore((store, conn) => {
    expect([store.size(), store.indexedSize()]).toEqual([0, 0]);
    expect(store.entry(0)).toBeUndefined();
    append(store, 0, [entry(0), entry(1), entry(2)]);
    append(store, 3, [entry(3)]);
    unindex(conn, 3);
    expect([store.size(), store.indexedSize()]).toEqual([4, 3]);
    expect(store.entry(1)?.toString()).toBe('{"n":1}');
    expect(store.entry(3)?.toString()).toBe('{"n":3}');
    expect([store.entry(4), store.entry(-1), store.entry(1.5)]).toEqual([undefined, undefined, undefined]);
    // Entry 3 completed the subtree of level 2 index 0: its third hash; entry 1 that of level 1.
    expect(store.readHashes([{ level: 2, index: 0 }, { level: 0, index: 2 }, { level: 1, index: 0 }])).toEqual([Buffer.alloc(32, 5), Buffer.alloc(32, 2), Buffer.alloc(32, 2)]);
    expect(store.readHashes([])).toEqual([]);
    const missing = refusalOf(() => store.readHashes([{ level: 0, index: 0 }, { level: 1, index: 2 }]));
    expect([missing.code, missing.message]).toEqual(["LEDGER_CORRUPT", "stored hash of subtree level 1 index 2 is missing (entry 5)"]);
    expect([...store.entries(1, 3)].map((e) => [e.index, e.data.toString(), e.hashes.length])).toEqual([[1, '{"n":1}', 64], [2, '{"n":2}', 32]]);
  }));

  it("appends in four round trips: the lock, both marks read once, the entries with their checks, the commit", withStore((store, conn) => {
    append(store, 0, [entry(0)]);
    const calls = vi.spyOn(conn, "batch");
    const seen = store.write((w) => {
      const before = [w.indexedSize(), w.size(), w.size()];
      w.insertEntries(1, [entry(1), entry(2)]);
      return [...before, w.size(), w.indexedSize()];
    });
    expect(seen).toEqual([1, 1, 1, 3, 3]);
    expect(calls).toHaveBeenCalledTimes(4);
    calls.mockRestore();
    expect(store.write((w) => [w.size(), w.indexedSize()])).toEqual([3, 3]);
  }));

  it("refuses an append that does not start at the end, or before the index reaches it, writing nothing", withStore((store, conn) => {
    append(store, 0, [entry(0)]);
    const ahead = refusalOf(() => append(store, 2, [entry(2)]));
    expect([ahead.code, ahead.message]).toEqual(["LEDGER_CORRUPT", "append expected the ledger to hold 2 entries, it holds 1"]);
    expect(refusalOf(() => append(store, 0, [entry(0, { recordId: "other" })])).code).toBe("LEDGER_CORRUPT");
    append(store, 1, [entry(1)]);
    unindex(conn, 1);
    const unindexed = refusalOf(() => append(store, 2, [entry(2)]));
    expect([unindexed.code, unindexed.message]).toEqual(["LEDGER_CORRUPT", "indexing expected the record index to cover 2 entries, it covers 1"]);
    expect([store.size(), store.indexedSize()]).toEqual([2, 1]);
    expect(refusalOf(() => store.write((w) => w.insertIndexRows(2, [row(2)]))).code).toBe("LEDGER_CORRUPT");
    store.write((w) => w.insertIndexRows(1, [row(1)]));
    expect([store.size(), store.indexedSize()]).toEqual([2, 2]);
  }));

  it("refuses a record id already in the ledger or twice in one append", withStore((store) => {
    append(store, 0, [entry(0, { raw: [{ commitment: "c0", recordId: "rec-0", subjectId: "s", field: "arguments", salt: "x", value: "1" }] })]);
    const again = { ...entry(1, { raw: [{ commitment: "c1", recordId: "rec-0", subjectId: "s", field: "arguments", salt: "y", value: "2" }] }), recordId: "rec-0" };
    const taken = refusalOf(() => append(store, 1, [entry(1), again]));
    expect([taken.code, taken.message]).toEqual(["LEDGER_UNAVAILABLE", 'the ledger could not record the entry: record id "rec-0" is already in the ledger (record ids are UNIQUE)']);
    const twice = refusalOf(() => append(store, 1, [entry(1), { ...entry(2), recordId: "rec-1" }]));
    expect(twice.message).toMatch(/record id "rec-1" is already in the ledger/);
    expect([store.size(), store.indexedSize()]).toEqual([1, 1]);
    expect(store.rawValuesOf("rec-0").map((r) => r.value)).toEqual(["1"]);
  }));

  it("applies each entry's effects in order inside its transaction, after the raw values before it, and none without effects", () => {
    const seen: string[] = [];
    let conn: PgConnection | undefined;
    const applyEffects = vi.fn((effects: readonly StoreEffect[]) => {
      const n = (conn as PgConnection).query<{ n: number }>("SELECT count(*) AS n FROM raw_values")[0]?.n;
      for (const e of effects) seen.push(`${e.type}@${n}`);
      if (effects.some((e) => e.type === "grant.revoke")) throw new ArbiterError("CONFLICT", "refused");
    });
    withStore((store, c) => {
      conn = c;
      const raw = (i: number) => [{ commitment: `c${i}`, recordId: `rec-${i}`, subjectId: "s", field: "f", salt: "x", value: "v" }];
      append(store, 0, [entry(0, { raw: raw(0) }), entry(1, { raw: raw(1), effects: [{ type: "grant.consume", id: "g" } as StoreEffect] }), entry(2, { raw: raw(2) })]);
      expect(seen).toEqual(["grant.consume@1"]);
      expect(store.countRawValues({ subjectId: "s" })).toBe(3);
      append(store, 3, [entry(3)]);
      expect(applyEffects).toHaveBeenCalledTimes(1);
      expect(refusalOf(() => append(store, 4, [entry(4, { raw: raw(4), effects: [{ type: "grant.revoke", id: "g" }] })])).code).toBe("CONFLICT");
      expect([store.size(), store.countRawValues({ subjectId: "s" })]).toEqual([4, 3]);
    }, { applyEffects })();
  });

  it("refuses an entry with effects when no dispatcher was given", withStore((store) => {
    expect(refusalOf(() => append(store, 0, [entry(0, { effects: [{ type: "grant.revoke", id: "g" }] })])).code).toBe("LEDGER_UNAVAILABLE");
    expect(store.size()).toBe(0);
  }));

  it("keeps checkpoints by size, the first of a size only", withStore((store) => {
    expect(store.latestCheckpoint()).toBeUndefined();
    const cp = (size: number, note: string) => ({ size, root: Buffer.alloc(32, size), note, signedAt: `2026-12-06T10:00:0${size}.000Z` });
    store.write((w) => {
      w.insertCheckpoint(cp(3, "three"));
      w.insertCheckpoint(cp(1, "one"));
    });
    store.write((w) => w.insertCheckpoint(cp(3, "three again")));
    expect(store.latestCheckpoint()).toEqual(cp(3, "three"));
    expect(store.checkpoints().map((c) => c.note)).toEqual(["one", "three"]);
    expect(store.checkpointAt(1)).toEqual(cp(1, "one"));
    expect(store.checkpointAt(2)).toBeUndefined();
  }));

  it("pages through entries and index rows past one query's rows, in order, policy rows merged and orphans named", withStore((store, conn) => {
    const n = 4100;
    append(store, 0, Array.from({ length: n }, (_, i) => ({ ...entry(i), fields: { ...noFields, determining: i % 1000 === 0 ? ["p", "q", "p"] : [] } })));
    conn.query("INSERT INTO record_policies (policy_id, idx) VALUES ('stray', 4099), ('stray', 5000)");
    conn.query("DELETE FROM record_index WHERE idx = 4099");
    const entries = [...store.entries(0, n + 10)];
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: n }, (_, i) => i));
    const rows = [...store.indexRows(0, 6000)];
    expect(rows.map((r) => r.index)).toEqual([...Array.from({ length: n }, (_, i) => i), 5000]);
    expect(rows[4000]?.determining.sort()).toEqual(["p", "q"]);
    expect(rows[4099]).toEqual({ index: 4099, determining: ["stray"] });
    expect(JSON.parse(rows[7]?.located ?? "")).toEqual(["rec-7", "event", "2026-12-06T10:07:00.000Z", null, null, null, null, null, null, null, null, null, null, null, null]);
    expect([...store.indexRows(4098, 4100)].map((r) => r.index)).toEqual([4098, 4099]);
    expect(store.firstIndexRowFrom(4099)).toBe(4099);
    expect(store.firstIndexRowFrom(4100)).toBe(5000);
    expect(store.firstIndexRowFrom(5001)).toBeUndefined();
  }));

  it("answers record queries newest first, counts by bucket and action, and locates records", withStore((store) => {
    const writes = Array.from({ length: 12 }, (_, i) => ({
      ...entry(i),
      time: `2026-12-06T${i < 6 ? "09" : "10"}:0${i % 3}:00.000Z`,
      fields: { ...noFields, subjectId: `s-${i % 2}`, action: i % 4 === 3 ? null : `act-${i % 3}`, outcome: i % 3 ? "allow" : "deny", determining: i % 2 ? ["odd"] : [] },
    }));
    append(store, 0, writes);
    expect(store.queryRecords({ limit: 3 }).map((r) => r.index)).toEqual([11, 10, 9]);
    // A negative limit is no limit, as SQLite reads it.
    expect(store.queryRecords({ limit: -1 })).toHaveLength(12);
    expect(store.queryRecords({ subjectId: "s-1", policyId: "odd", outcome: "deny", limit: 10 }).map((r) => r.index)).toEqual([9, 3]);
    expect(store.queryRecords({ from: "2026-12-06T10:00:00.000Z", before: 9, limit: 10 }).map((r) => r.index)).toEqual([8, 7, 6]);
    expect(store.queryRecords({ to: "2026-12-06T09:01:00.000Z", limit: 10 }).map((r) => r.index)).toEqual([3, 0]);
    expect(store.locateRecord("rec-4")).toEqual({ recordId: "rec-4", index: 4, kind: "event", time: "2026-12-06T09:01:00.000Z", subjectId: "s-0" });
    expect(store.locateRecord("nope")).toBeUndefined();
    expect(store.recordsBetween("2026-12-06T09:02:00.000Z", "2026-12-06T10:00:00.001Z").map((r) => r.index)).toEqual([2, 5, 6, 9]);
    expect(store.countRecords({ kind: "event" }, "hour")).toEqual([
      { bucket: "2026-12-06T09", outcome: "allow", control: null, count: 4 },
      { bucket: "2026-12-06T09", outcome: "deny", control: null, count: 2 },
      { bucket: "2026-12-06T10", outcome: "allow", control: null, count: 4 },
      { bucket: "2026-12-06T10", outcome: "deny", control: null, count: 2 },
    ]);
    expect(store.countRecords({ subjectId: "s-0", outcome: "deny" }, "minute").map((c) => [c.bucket, c.count])).toEqual([["2026-12-06T09:00", 1], ["2026-12-06T10:00", 1]]);
    expect(store.countActions({})).toEqual([
      { action: "act-0", count: 3, last: "2026-12-06T10:00:00.000Z" },
      { action: "act-1", count: 3, last: "2026-12-06T10:01:00.000Z" },
      { action: "act-2", count: 3, last: "2026-12-06T10:02:00.000Z" },
    ]);
    expect(store.countActions({ subjectId: "s-0" }).map((a) => a.count)).toEqual([2, 2, 2]);
  }));

  it("filters on every record_index column a query names, each value bound", withStore((store) => {
    const fields = {
      subjectId: "s", action: "a", resourceId: "r", outcome: "deny", reasonCode: "rc", control: "ctl", policyVersion: "pv",
      traceId: "t", taskId: "tk", decisionId: "d", subjectType: "agent", subjectOwner: "o'wner",
    } as const;
    append(store, 0, [{ ...entry(0), kind: "decision", fields: { ...noFields, ...fields } }, entry(1)]);
    for (const [key, value] of Object.entries({ kind: "decision", ...fields })) {
      expect(store.queryRecords({ [key]: value, limit: 5 }).map((r) => r.index), key).toEqual([0]);
      expect(store.queryRecords({ [key]: `${value}-other`, limit: 5 }), key).toEqual([]);
    }
    expect(store.countActions({ subjectOwner: "o'wner" })).toEqual([{ action: "a", count: 1, last: "2026-12-06T10:00:00.000Z" }]);
  }));

  it("reads, counts and erases raw values by record and by subject, and vacuums them away outside a transaction", withStore((store) => {
    const raw = (i: number, field: string, subjectId: string | null) => ({ commitment: `c-${i}-${field}`, recordId: `rec-${i}`, subjectId, field, salt: "s", value: `"${field}${i}"` });
    append(store, 0, [entry(0, { raw: [raw(0, "b", "alice"), raw(0, "a", "alice")] }), entry(1, { raw: [raw(1, "a", "bob")] }), entry(2, { raw: [raw(2, "a", null)] })]);
    expect(store.rawValuesOf("rec-0")).toEqual([raw(0, "a", "alice"), raw(0, "b", "alice")]);
    expect([store.countRawValues({ subjectId: "alice" }), store.countRawValues({ recordId: "rec-1" }), store.countRawValues({ subjectId: "carol" })]).toEqual([2, 1, 0]);
    expect(store.write(() => store.eraseRawValues({ subjectId: "alice" }))).toBe(2);
    expect(store.write(() => store.eraseRawValues({ recordId: "rec-1" }))).toBe(1);
    expect(store.write(() => store.eraseRawValues({ recordId: "rec-1" }))).toBe(0);
    expect(store.rawValuesOf("rec-0")).toEqual([]);
    expect(store.countRawValues({ recordId: "rec-2" })).toBe(1);
    expect(store.write(() => store.truncateWal())).toBe(false);
    expect(store.truncateWal()).toBe(true);
  }));

  it("rolls a write back when it throws, and holds the ledger's lock for its whole transaction", withStore((store, conn) => {
    expect(() => store.write((w) => {
      w.insertEntries(0, [entry(0)]);
      throw new Error("changed my mind");
    })).toThrow("changed my mind");
    expect(store.size()).toBe(0);
    const other = PgConnection.open(conn.location);
    try {
      const tryLock = () => other.transaction(() => other.query<{ got: boolean }>("SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || 'arbiter.ledger')) AS got")[0]?.got);
      expect(store.write(() => tryLock())).toBe(false);
      expect(tryLock()).toBe(true);
    } finally {
      other.close();
    }
  }));

  it("reads one snapshot in readConsistent while another connection commits, and joins an open transaction", withStore((store, conn) => {
    append(store, 0, [entry(0)]);
    const other = new PgLedgerStore(PgConnection.open(conn.location));
    try {
      const seen = store.readConsistent(() => {
        const before = store.size();
        append(other, 1, [entry(1)]);
        return [before, store.size(), [...store.entries(0, 10)].length];
      });
      expect(seen).toEqual([1, 1, 1]);
      expect(store.size()).toBe(2);
      expect(store.write((w) => store.readConsistent(() => {
        w.insertEntries(2, [entry(2)]);
        return store.size();
      }))).toBe(3);
    } finally {
      other.close();
    }
  }));

  it("is durable when a commit returns: synchronous commit on, sync resolving at once", async () => {
    const conn = freshPgConnection();
    const store = new PgLedgerStore(conn);
    try {
      expect(conn.query<{ synchronous_commit: string }>("SHOW synchronous_commit")).toEqual([{ synchronous_commit: "on" }]);
      await expect(store.sync()).resolves.toBeUndefined();
      expect(store.syncNow()).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
