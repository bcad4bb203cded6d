// The search index is written with each append's commit: an acknowledged append is indexed, a crash right
// after the acknowledgement loses no row, and entries without rows (left by a writer that indexed later and
// crashed in between) are derived from their leaves by the next open or the next append.
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger, verifyLedger } from "../../src/ledger/index.js";
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

/** Removes the rows of entries from `from` on, as a writer that indexed after acknowledging and then crashed would leave them. */
function dropRowsFrom(dir: string, from: number): void {
  const db = new Database(join(dir, DATA_FILES.database));
  try {
    db.prepare("DELETE FROM record_policies WHERE idx >= ?").run(from);
    db.prepare("DELETE FROM record_index WHERE idx >= ?").run(from);
  } finally {
    db.close();
  }
}

describe("the record index, written with each commit", () => {
  it("holds every acknowledged append even when the writer is killed (SIGKILL) right after acknowledging", async () => {
    const { dir, ledger } = freshLedger();
    await Promise.all([0, 1, 2].map((i) => ledger.append(eventLine(i))));
    await ledger.close();

    const child = spawnSync(process.execPath, ["--import", "tsx", CHILD, dir, "5"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(child.signal).toBe("SIGKILL");
    const acked = child.stdout.trim().split("\n").map((line) => JSON.parse(line) as { id: string; index: number });
    expect(acked.map((a) => a.index).sort()).toEqual([3, 4, 5, 6, 7]);
    expect(indexed(dir)).toMatchObject({ entries: 8, rows: 8 });

    const reopened = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
    for (const a of acked) expect(reopened.reader.locateRecord(a.id)).toMatchObject({ recordId: a.id, index: a.index, kind: "event" });
    expect(verifyLedger(reopened.reader, reopened.verifier, reopened.origin)).toMatchObject({ ok: true });
    await reopened.close();
  });

  it("an acknowledged append's rows are visible to another connection at once", async () => {
    const { dir, ledger } = freshLedger();
    await ledger.append(eventLine(0));
    expect(indexed(dir)).toMatchObject({ entries: 1, rows: 1 });
    await ledger.append(eventLine(1));
    expect(indexed(dir)).toMatchObject({ entries: 2, rows: 2 });
    await ledger.close();
  });

  it("derives the rows a crashed writer left out, at the next open and in the next append's transaction", async () => {
    const { dir, ledger } = freshLedger();
    const appended = [];
    for (let i = 0; i < 6; i++) appended.push(await ledger.append(eventLine(i)));
    await ledger.close();
    dropRowsFrom(dir, 3);
    expect(indexed(dir)).toMatchObject({ entries: 6, rows: 3 });

    const reopened = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
    expect(indexed(dir)).toMatchObject({ entries: 6, rows: 6 });
    expect(reopened.reader.locateRecord((appended[4] as { id: string }).id)?.index).toBe(4);

    // Another writer's gap under a running ledger: its next append indexes the gap first, then itself.
    dropRowsFrom(dir, 4);
    const next = await reopened.append(eventLine(6));
    expect(next.index).toBe(6);
    expect(indexed(dir)).toMatchObject({ entries: 7, rows: 7 });
    expect(reopened.reader.queryRecords({ kind: "event", limit: 100 }).map((r) => r.index)).toEqual([6, 5, 4, 3, 2, 1, 0]);
    expect(verifyLedger(reopened.reader, reopened.verifier, reopened.origin)).toMatchObject({ ok: true });
    await reopened.close();
  });

  it("verify does not report rows that are due (above the index's high-water mark) as missing, and reports a row removed below them", async () => {
    const { dir, ledger } = freshLedger();
    for (let i = 0; i < 5; i++) await ledger.append(eventLine(i));
    const store = (ledger as unknown as { store: Parameters<typeof verifyLedger>[0] }).store;
    dropRowsFrom(dir, 4);
    expect(verifyLedger(store, ledger.verifier, ledger.origin)).toMatchObject({ ok: true });

    const db = new Database(join(dir, DATA_FILES.database));
    db.prepare("DELETE FROM record_index WHERE idx = 2").run();
    db.close();
    expect(verifyLedger(store, ledger.verifier, ledger.origin)).toMatchObject({ ok: false, failure: { index: 2 } });
    await ledger.close();
  });

  it("refuses a record id already in the ledger, or twice in one batch, before anything is durable", async () => {
    const { dir, ledger } = freshLedger();
    await ledger.append(eventLine(0, { id: "same-id" }));
    const again = ledger.append(eventLine(1, { id: "same-id" }));
    await expect(again).rejects.toBeInstanceOf(ArbiterError);
    await expect(again).rejects.toThrow(/record id "same-id" is already in the ledger/);
    const inBatch = await Promise.allSettled([ledger.append(eventLine(2, { id: "twin" })), ledger.append(eventLine(3, { id: "twin" }))]);
    expect(inBatch.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
    expect(ledger.size()).toBe(2);

    // A bulk batch with repeats: its UNIQUE failure rolls all of it back; retried record by record, only the repeats are refused.
    const bulk = Array.from({ length: 64 }, (_, i) => eventLine(100 + i, i === 5 ? { id: "same-id" } : i === 9 || i === 10 ? { id: "bulk-twin" } : {}));
    const settled = await Promise.allSettled(bulk.map((line) => ledger.append(line)));
    const refused = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
    expect(refused).toEqual([5, 10]);
    for (const i of refused) expect(String((settled[i] as PromiseRejectedResult).reason)).toMatch(/is already in the ledger/);
    await ledger.close();
    expect(indexed(dir)).toMatchObject({ entries: 2 + 62, rows: 2 + 62 });
  });
});
