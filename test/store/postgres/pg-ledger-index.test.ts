// The record index after the acknowledgement, on the PostgreSQL ledger store: rows follow the
// acknowledged leaves, another process opening the ledger derives the rows its writer never wrote,
// and a record id already in the ledger is refused whether or not its row is written yet.
import { describe, expect, it } from "vitest";
import { verifyLedger } from "../../../src/ledger/index.js";
import { INDEX_WITH_COMMIT_FROM } from "../../../src/ledger/record-indexer.js";
import { ArbiterError } from "../../../src/record/errors.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { eventLine } from "../../support/ledger.js";
import { freshPgLedger, type PgLedger } from "../../support/postgres-ledger.js";

/** What another connection sees committed. */
function indexed(pg: PgLedger): { entries: number; rows: number; ids: string[] } {
  const other = PgConnection.open(pg.conn.location);
  try {
    const [counts] = other.query<{ entries: number; rows: number }>("SELECT (SELECT count(*) FROM entries) AS entries, (SELECT count(*) FROM record_index) AS rows");
    const ids = other.query<{ record_id: string }>("SELECT record_id FROM record_index ORDER BY idx").map((r) => r.record_id);
    return { entries: counts?.entries ?? 0, rows: counts?.rows ?? 0, ids };
  } finally {
    other.close();
  }
}

describe("the record index after the acknowledgement on PgLedgerStore", () => {
  it("writes the rows after the acknowledgement, and every read of the index in the process sees them", async () => {
    const pg = freshPgLedger();
    const first = await pg.ledger.append(eventLine(0));
    expect(indexed(pg)).toMatchObject({ entries: 1, rows: 0 });
    expect(pg.ledger.reader.locateRecord(first.id)?.index).toBe(0);
    expect(indexed(pg).rows).toBe(1);
    await pg.ledger.append(eventLine(1));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(indexed(pg)).toMatchObject({ entries: 2, rows: 2 });
    await pg.close();
  });

  it("lets another process that opens the ledger index the leaves its writer acknowledged but never indexed", async () => {
    const pg = freshPgLedger();
    const acked = await Promise.all([0, 1, 2].map((i) => pg.ledger.append(eventLine(i))));
    expect(indexed(pg)).toMatchObject({ entries: 3, rows: 0 });
    // The writer is gone before its indexer's turn, as after a crash; nothing of it runs again.
    pg.conn.close();
    const next = freshPgLedger({ conn: PgConnection.open(pg.conn.location), keys: pg.keys });
    expect(indexed(next)).toMatchObject({ entries: 3, rows: 3, ids: acked.map((a) => a.id) });
    expect(next.ledger.reader.queryRecords({ kind: "event", limit: 10 }).map((r) => r.index)).toEqual([2, 1, 0]);
    expect(verifyLedger(next.ledger.reader, next.ledger.verifier, next.ledger.origin).ok).toBe(true);
    await next.close();
  });

  it("refuses a record id already in the ledger, including one acknowledged but not yet indexed", async () => {
    const pg = freshPgLedger();
    await pg.ledger.append(eventLine(0, { id: "same-id" }));
    expect(indexed(pg).rows).toBe(0);
    const again = pg.ledger.append(eventLine(1, { id: "same-id" }));
    await expect(again).rejects.toBeInstanceOf(ArbiterError);
    await expect(again).rejects.toThrow(/record id "same-id" is already in the ledger/);
    const inBatch = await Promise.allSettled([pg.ledger.append(eventLine(2, { id: "twin" })), pg.ledger.append(eventLine(3, { id: "twin" }))]);
    expect(inBatch.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
    await pg.close();
    expect(indexed(pg)).toMatchObject({ entries: 2, rows: 2, ids: ["same-id", "twin"] });
  });

  it("writes a bulk batch's rows in its own commit, and refuses a known id in one record by record", async () => {
    const pg = freshPgLedger();
    await pg.ledger.append(eventLine(0, { id: "known" }));
    const bulk = Array.from({ length: INDEX_WITH_COMMIT_FROM }, (_, i) => eventLine(i + 1));
    await Promise.all(bulk.map((line) => pg.ledger.append(line)));
    expect(indexed(pg)).toMatchObject({ entries: 1 + bulk.length, rows: 1 + bulk.length });
    const repeats = Array.from({ length: INDEX_WITH_COMMIT_FROM }, (_, i) => eventLine(100 + i, i === 5 ? { id: "known" } : i === 9 || i === 10 ? { id: "twin" } : {}));
    const settled = await Promise.allSettled(repeats.map((line) => pg.ledger.append(line)));
    const refused = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
    expect(refused).toEqual([5, 10]);
    for (const i of refused) expect(String((settled[i] as PromiseRejectedResult).reason)).toMatch(/is already in the ledger/);
    await pg.close();
    const total = 1 + bulk.length + repeats.length - 2;
    expect(indexed(pg)).toMatchObject({ entries: total, rows: total });
  });
});
