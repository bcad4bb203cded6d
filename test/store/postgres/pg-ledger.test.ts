// What the PostgreSQL ledger store adds to the generic ledger behaviours (test/ledger/ledger.test.ts,
// which the "postgres" test project runs on this store too): a large batch indexed in its own commit,
// a stored hash damaged through SQL refused at the next checkpoint, several effects committed in order
// with their record, and two ledgers on one schema (replicas) appending one after the other.
import { describe, expect, it } from "vitest";
import { verifyLedger } from "../../../src/ledger/index.js";
import { ArbiterError } from "../../../src/record/errors.js";
import type { StoreEffect } from "../../../src/store/index.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { eventLine } from "../../support/ledger.js";
import { freshPgLedger } from "../../support/postgres-ledger.js";

const verified = (l: { ledger: ReturnType<typeof freshPgLedger>["ledger"] }): boolean => verifyLedger(l.ledger.reader, l.ledger.verifier, l.ledger.origin).ok;

describe("Ledger on PgLedgerStore", () => {

  it("indexes a large batch in its own commit and refuses a duplicate id in it", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    await Promise.all(Array.from({ length: 300 }, (_, i) => ledger.append(eventLine(i, { policy: { set_version: "v1", determining: ["p-a", "p-b"] } }))));
    // 300 appends in one batch: their rows went in with the entries, before the acknowledgement.
    expect(pg.store.indexedSize()).toBe(300);
    const settled = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ledger.append(eventLine(i, i === 50 ? { id: "twice" } : i === 70 ? { id: "twice" } : {}))));
    expect(settled.filter((s) => s.status === "rejected")).toHaveLength(1);
    expect(ledger.size()).toBe(399);
    expect(ledger.reader.queryRecords({ policyId: "p-b", limit: 1000 })).toHaveLength(300);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("refuses to sign a checkpoint that is not consistent with the last one it signed", async () => {
    const pg = freshPgLedger();
    const { ledger, conn } = pg;
    await Promise.all(Array.from({ length: 3 }, (_, i) => ledger.append(eventLine(i))));
    ledger.checkpoint();
    // Another writer damages the stored leaf hash of entry 2 behind the ledger's back.
    conn.query("UPDATE entries SET body = overlay(body PLACING $1 FROM 1) WHERE idx = 2", [Buffer.alloc(32, 9)]);
    await ledger.append(eventLine(3));
    expect(() => ledger.checkpoint()).toThrow(expect.objectContaining({ code: "INCONSISTENT_CHECKPOINT" }) as Error);
    expect(ledger.latestCheckpoint()?.size).toBe(3);
    expect(verified(pg)).toBe(false);
    await pg.close();
  });

  it("commits effects atomically with their record, in order, and refuses the record when an effect throws", async () => {
    const applied: string[][] = [];
    const pg = freshPgLedger({
      applyEffects: (effects) => {
        const ids = effects.map((e) => (e.type === "grant.consume" ? e.id : e.type));
        for (const id of ids) {
          const inserted = pg.conn.query("INSERT INTO consumed (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id", [id]);
          if (inserted.length === 0) throw new ArbiterError("CONFLICT", `${id} was consumed already`);
        }
        applied.push(ids);
      },
    });
    pg.conn.query("CREATE TABLE consumed (id TEXT PRIMARY KEY)");
    const consume = (id: string): StoreEffect[] => [{ type: "grant.consume", id } as StoreEffect];
    const results = await Promise.allSettled([
      pg.ledger.append(eventLine(0), { effects: consume("a") }),
      pg.ledger.append(eventLine(1), { effects: consume("a") }),
      pg.ledger.append(eventLine(2)),
      pg.ledger.append(eventLine(3), { effects: consume("b") }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT" });
    expect(pg.conn.query<{ id: string }>("SELECT id FROM consumed ORDER BY id").map((r) => r.id)).toEqual(["a", "b"]);
    expect(pg.ledger.size()).toBe(3);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("lets two ledgers on one schema append one after the other, each reloading its edge", async () => {
    const a = freshPgLedger();
    const b = freshPgLedger({ conn: PgConnection.open(a.conn.location), keys: a.keys });
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        ...Array.from({ length: 10 }, (_, i) => a.ledger.append(eventLine(i))),
        ...Array.from({ length: 10 }, (_, i) => b.ledger.append(eventLine(i))),
      ]);
    }
    expect(a.ledger.size()).toBe(60);
    a.ledger.checkpoint();
    expect(b.ledger.checkpoint().size).toBe(60);
    expect(verified(a)).toBe(true);
    expect(verified(b)).toBe(true);
    await b.close();
    await a.close();
  });
});
