// The search index off the acknowledgement path: an append is acknowledged once its leaf and tree edge are
// durable, its record_index rows follow; a crash in between loses nothing and the next open indexes it all.
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger, verifyLedger } from "../../src/ledger/index.js";
import { INDEX_WITH_COMMIT_FROM } from "../../src/ledger/record-indexer.js";
import { ArbiterError } from "../../src/record/errors.js";
import { DATA_FILES } from "../../src/store/index.js";
import { ROOT } from "../support/cli.js";
import { eventLine, freshLedger } from "../support/ledger.js";

const CHILD = join(ROOT, "test", "fixtures", "ledger", "ack-then-crash.ts");

function indexed(dir: string): { entries: number; rows: number; ids: string[] } {
  const db = new Database(join(dir, DATA_FILES.database), { readonly: true });
  try {
    const entries = db.prepare<[], number>("SELECT count(*) FROM entries").pluck().get() ?? 0;
    const rows = db.prepare<[], number>("SELECT count(*) FROM record_index").pluck().get() ?? 0;
    const ids = db.prepare<[], string>("SELECT record_id FROM record_index ORDER BY idx").pluck().all();
    return { entries, rows, ids };
  } finally {
    db.close();
  }
}

describe("the record index after the acknowledgement", () => {
  it("loses nothing when the writer is killed (SIGKILL) after acknowledging and before indexing; the next open indexes it", async () => {
    const { dir, ledger } = freshLedger();
    await Promise.all([0, 1, 2].map((i) => ledger.append(eventLine(i))));
    await ledger.close();

    const child = spawnSync(process.execPath, ["--import", "tsx", CHILD, dir, "5"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(child.signal).toBe("SIGKILL");
    const acked = child.stdout.trim().split("\n").map((line) => JSON.parse(line) as { id: string; index: number });
    expect(acked.map((a) => a.index).sort()).toEqual([3, 4, 5, 6, 7]);

    // Every acknowledged leaf is on disk; its index rows are not (the crash came first).
    const before = indexed(dir);
    expect(before.entries).toBe(8);
    expect(before.rows).toBe(3);

    const reopened = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
    const after = indexed(dir);
    expect(after.rows).toBe(8);
    for (const a of acked) expect(reopened.reader.locateRecord(a.id)).toMatchObject({ recordId: a.id, index: a.index, kind: "event" });
    expect(reopened.reader.queryRecords({ kind: "event", limit: 100 }).map((r) => r.index)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(verifyLedger(reopened.reader, reopened.verifier, reopened.origin)).toMatchObject({ ok: true });
    await reopened.close();
  });

  it("writes the rows after the acknowledgement, and every read of the index in the process sees them", async () => {
    const { dir, ledger } = freshLedger();
    const first = await ledger.append(eventLine(0));
    // Acknowledged: durable leaf, no row yet (another connection's view).
    expect(indexed(dir)).toMatchObject({ entries: 1, rows: 0 });
    // A read in this process writes the held rows first.
    expect(ledger.reader.locateRecord(first.id)?.index).toBe(0);
    expect(indexed(dir).rows).toBe(1);

    await ledger.append(eventLine(1));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(indexed(dir)).toMatchObject({ entries: 2, rows: 2 });
    await ledger.close();
  });

  it("verify does not report rows that are due as missing, and still reports a row removed below them", async () => {
    const { dir, ledger } = freshLedger();
    for (let i = 0; i < 4; i++) await ledger.append(eventLine(i));
    const appended = await ledger.append(eventLine(4));
    const store = (ledger as unknown as { store: Parameters<typeof verifyLedger>[0] }).store;
    expect(indexed(dir).rows).toBe(4);
    expect(verifyLedger(store, ledger.verifier, ledger.origin)).toMatchObject({ ok: true });
    expect(ledger.reader.locateRecord(appended.id)?.index).toBe(4);

    const db = new Database(join(dir, DATA_FILES.database));
    db.prepare("DELETE FROM record_index WHERE idx = 2").run();
    db.close();
    expect(verifyLedger(store, ledger.verifier, ledger.origin)).toMatchObject({ ok: false, failure: { index: 2 } });
    await ledger.close();
  });

  it("refuses a record id already in the ledger, including one acknowledged but not yet indexed, before anything is durable", async () => {
    const { dir, ledger } = freshLedger();
    await ledger.append(eventLine(0, { id: "same-id" }));
    expect(indexed(dir).rows).toBe(0);
    const again = ledger.append(eventLine(1, { id: "same-id" }));
    await expect(again).rejects.toBeInstanceOf(ArbiterError);
    await expect(again).rejects.toThrow(/record id "same-id" is already in the ledger/);
    const inBatch = await Promise.allSettled([ledger.append(eventLine(2, { id: "twin" })), ledger.append(eventLine(3, { id: "twin" }))]);
    expect(inBatch.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
    expect(ledger.size()).toBe(2);
    await ledger.close();
    expect(indexed(dir)).toMatchObject({ entries: 2, rows: 2, ids: ["same-id", "twin"] });
  });

  it("writes a bulk batch's rows in its own fsync'd transaction, and refuses a known id in one record by record", async () => {
    const { dir, ledger } = freshLedger();
    const first = await ledger.append(eventLine(0, { id: "known" }));
    expect(indexed(dir).rows).toBe(0);
    const bulk = Array.from({ length: INDEX_WITH_COMMIT_FROM }, (_, i) => eventLine(i + 1));
    await Promise.all(bulk.map((line) => ledger.append(line)));
    // Right after the acknowledgements, before the indexer's next turn: the bulk batch's rows are
    // already committed (and the held row of the first append with them).
    expect(indexed(dir)).toMatchObject({ entries: 1 + bulk.length, rows: 1 + bulk.length });
    expect(ledger.reader.locateRecord(first.id)?.index).toBe(0);

    const repeats = Array.from({ length: INDEX_WITH_COMMIT_FROM }, (_, i) => eventLine(100 + i, i === 5 ? { id: "known" } : i === 9 || i === 10 ? { id: "twin" } : {}));
    const settled = await Promise.allSettled(repeats.map((line) => ledger.append(line)));
    // The batch's UNIQUE failure rolled all of it back; retried record by record, only the two repeats are refused.
    const refused = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
    expect(refused).toEqual([5, 10]);
    for (const i of refused) expect(String((settled[i] as PromiseRejectedResult).reason)).toMatch(/is already in the ledger/);
    await ledger.close();
    expect(indexed(dir)).toMatchObject({ entries: 1 + bulk.length + repeats.length - 2, rows: 1 + bulk.length + repeats.length - 2 });
  });
});
