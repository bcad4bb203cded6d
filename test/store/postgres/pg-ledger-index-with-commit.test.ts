// The record index written with each commit, on the PostgreSQL ledger store: an acknowledged append is
// indexed, another process opening the ledger derives the rows a writer left out (an earlier version that
// indexed after acknowledging, then crashed), and a record id already in the ledger is refused.
import { describe, expect, it } from "vitest";
import { verifyLedger } from "../../../src/ledger/index.js";
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

describe("the record index with each commit on PgLedgerStore", () => {
  it("an acknowledged append's rows are visible to another connection at once", async () => {
    const pg = freshPgLedger();
    const first = await pg.ledger.append(eventLine(0));
    expect(indexed(pg)).toMatchObject({ entries: 1, rows: 1 });
    expect(pg.ledger.reader.locateRecord(first.id)?.index).toBe(0);
    await pg.ledger.append(eventLine(1));
    expect(indexed(pg)).toMatchObject({ entries: 2, rows: 2 });
    await pg.close();
  });

  it("lets another process that opens the ledger index the leaves a writer left without rows", async () => {
    const pg = freshPgLedger();
    const acked = await Promise.all([0, 1, 2].map((i) => pg.ledger.append(eventLine(i))));
    pg.conn.close();
    const other = PgConnection.open(pg.conn.location);
    other.query("DELETE FROM record_policies WHERE idx >= 1");
    other.query("DELETE FROM record_index WHERE idx >= 1");
    other.close();
    expect(indexed(pg)).toMatchObject({ entries: 3, rows: 1 });
    const next = freshPgLedger({ conn: PgConnection.open(pg.conn.location), keys: pg.keys });
    expect(indexed(next)).toMatchObject({ entries: 3, rows: 3, ids: acked.map((a) => a.id) });
    expect(next.ledger.reader.queryRecords({ kind: "event", limit: 10 }).map((r) => r.index)).toEqual([2, 1, 0]);
    expect(verifyLedger(next.ledger.reader, next.ledger.verifier, next.ledger.origin).ok).toBe(true);
    await next.close();
  });

  it("refuses a record id already in the ledger, or twice in one batch, one record at a time or in bulk", async () => {
    const pg = freshPgLedger();
    await pg.ledger.append(eventLine(0, { id: "same-id" }));
    const again = pg.ledger.append(eventLine(1, { id: "same-id" }));
    await expect(again).rejects.toBeInstanceOf(ArbiterError);
    await expect(again).rejects.toThrow(/record id "same-id" is already in the ledger/);
    const inBatch = await Promise.allSettled([pg.ledger.append(eventLine(2, { id: "twin" })), pg.ledger.append(eventLine(3, { id: "twin" }))]);
    expect(inBatch.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
    const repeats = Array.from({ length: 64 }, (_, i) => eventLine(100 + i, i === 5 ? { id: "same-id" } : i === 9 || i === 10 ? { id: "bulk-twin" } : {}));
    const settled = await Promise.allSettled(repeats.map((line) => pg.ledger.append(line)));
    const refused = settled.flatMap((s, i) => (s.status === "rejected" ? [i] : []));
    expect(refused).toEqual([5, 10]);
    for (const i of refused) expect(String((settled[i] as PromiseRejectedResult).reason)).toMatch(/is already in the ledger/);
    await pg.close();
    expect(indexed(pg)).toMatchObject({ entries: 2 + 62, rows: 2 + 62 });
  });
});
