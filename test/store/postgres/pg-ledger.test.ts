// The generic ledger behaviours on the PostgreSQL ledger store: a Ledger built on it as openLedger
// builds one on SQLite appends in group commits, proves inclusion and consistency, signs checkpoints,
// erases raw values without breaking proofs, and passes verifyLedger; two ledgers on one schema
// (replicas) append one after the other.
import { describe, expect, it } from "vitest";
import { openCheckpoint } from "../../../src/ledger/checkpoint.js";
import { verifyConsistencyProofText, verifyInclusionProofText, verifyLedger } from "../../../src/ledger/index.js";
import { ArbiterError } from "../../../src/record/errors.js";
import type { StoreEffect } from "../../../src/store/index.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { eventLine } from "../../support/ledger.js";
import { freshPgLedger } from "../../support/postgres-ledger.js";

const verified = (l: { ledger: ReturnType<typeof freshPgLedger>["ledger"] }): boolean => verifyLedger(l.ledger.reader, l.ledger.verifier, l.ledger.origin).ok;

describe("Ledger on PgLedgerStore", () => {
  it("appends concurrently in one group commit and numbers entries in call order", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => ledger.append(eventLine(i))));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(new Set(results.map((r) => r.id)).size).toBe(500);
    expect(ledger.size()).toBe(500);
    const stored = JSON.parse(ledger.entry(42).toString("utf8")) as { resource: { id: string }; id: string };
    expect(stored.resource.id).toBe("svc-42");
    expect(stored.id).toBe(results[42]?.id);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("appends one transaction per record when group commit is off, and verifies", async () => {
    const pg = freshPgLedger({ groupCommit: false });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pg.ledger.append(eventLine(i))));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("rejects an invalid record and a duplicate id without failing the others in its batch", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    const settled = await Promise.allSettled([
      ledger.append(eventLine(0)),
      ledger.append({ kind: "nonsense" }),
      ledger.append(eventLine(2, { id: "fixed-id" })),
      ledger.append(eventLine(3, { id: "fixed-id" })),
      ledger.append(eventLine(4)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected", "fulfilled"]);
    const duplicate = settled[3] as PromiseRejectedResult;
    expect(duplicate.reason).toBeInstanceOf(ArbiterError);
    expect((duplicate.reason as ArbiterError).message).toMatch(/record id "fixed-id" is already in the ledger/);
    expect(ledger.size()).toBe(3);
    // A later append of the same id, after the first was indexed, is refused as well.
    await expect(ledger.append(eventLine(5, { id: "fixed-id" }))).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
    expect(ledger.size()).toBe(3);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("indexes a large batch in its own commit and refuses a duplicate id in it", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    await Promise.all(Array.from({ length: 300 }, (_, i) => ledger.append(eventLine(i, { policy: { set_version: "v1", determining: ["p-a", "p-b"] } }))));
    // 300 appends in one batch: their rows went in with the entries (INDEX_WITH_COMMIT_FROM), before the acknowledgement.
    expect(pg.store.indexedSize()).toBe(300);
    const settled = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => ledger.append(eventLine(i, i === 50 ? { id: "twice" } : i === 70 ? { id: "twice" } : {}))));
    expect(settled.filter((s) => s.status === "rejected")).toHaveLength(1);
    expect(ledger.size()).toBe(399);
    expect(ledger.reader.queryRecords({ policyId: "p-b", limit: 1000 })).toHaveLength(300);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("serves inclusion proofs that verify against a signed checkpoint", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    await Promise.all(Array.from({ length: 37 }, (_, i) => ledger.append(eventLine(i))));
    for (const index of [0, 1, 17, 36]) {
      const included = verifyInclusionProofText(ledger.proveInclusion(index), ledger.entry(index), ledger.verifier);
      expect(included.index).toBe(index);
      expect(included.size).toBe(37);
    }
    expect(() => ledger.proveInclusion(37)).toThrow(/does not exist/);
    await pg.close();
  });

  it("proves consistency from every older size to the latest checkpoint", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    const olds: { size: number; note: string }[] = [];
    for (let i = 0; i < 30; i++) {
      await ledger.append(eventLine(i));
      if (i % 7 === 3) olds.push(ledger.checkpoint());
    }
    for (const old of olds) {
      const latest = verifyConsistencyProofText(ledger.proveConsistency(old.size), openCheckpoint(old.note, ledger.verifier), ledger.verifier);
      expect(latest.size).toBe(30);
    }
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("signs a checkpoint only when the ledger grew", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    await ledger.append(eventLine(0));
    const first = ledger.checkpoint();
    expect(ledger.checkpoint().note).toBe(first.note);
    await ledger.append(eventLine(1));
    expect(ledger.checkpoint().size).toBe(2);
    expect(ledger.reader.checkpoints().map((c) => c.size)).toEqual([1, 2]);
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

  it("keeps sensitive values out of the leaf and erases them without breaking proofs", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    const secret = "card 4111 1111 1111 1111 for alice@example.com";
    const { index, id } = await ledger.append(eventLine(0, { sensitive: { arguments: { text: secret } } }));
    await ledger.append(eventLine(1));
    expect(ledger.entry(index).toString("utf8")).not.toContain("4111");
    const proofBefore = ledger.proveInclusion(index);
    expect(ledger.reader.rawValuesOf(id)).toHaveLength(1);
    const erasure = await ledger.erase({ subjectId: "bot-0" }, (erased) => eventLine(7, { action: "erase_raw_values", attributes: { erased_values: erased } }));
    expect(erasure.erased).toBe(1);
    expect(ledger.reader.rawValuesOf(id)).toHaveLength(0);
    expect(ledger.proveInclusion(index)).toBe(proofBefore);
    expect(verified(pg)).toBe(true);
    await pg.close();
  });

  it("erases nothing when the erasure's own record is refused", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    const { id } = await ledger.append(eventLine(0, { sensitive: { arguments: { text: "card 4111 1111 1111 1111" } } }));
    await expect(ledger.erase({ recordId: id }, () => ({ kind: "event", outcome: "maybe" }))).rejects.toMatchObject({ code: "INVALID_RECORD" });
    expect(ledger.reader.rawValuesOf(id)).toHaveLength(1);
    expect(ledger.size()).toBe(1);
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

  it("answers record queries from the index, newest first", async () => {
    const pg = freshPgLedger();
    const { ledger } = pg;
    await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(eventLine(i, { policy: { set_version: "v1", determining: [i % 2 ? "odd" : "even"] }, correlation: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" } }))));
    expect(ledger.reader.queryRecords({ outcome: "deny", limit: 10 }).map((r) => r.index)).toEqual([15, 10, 5, 0]);
    expect(ledger.reader.queryRecords({ policyId: "odd", subjectId: "bot-1", limit: 10 }).map((r) => r.index)).toEqual([15, 1]);
    expect(ledger.reader.queryRecords({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", limit: 3, before: 10 }).map((r) => r.index)).toEqual([9, 8, 7]);
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

  it("fails closed when closed: nothing is acknowledged", async () => {
    const pg = freshPgLedger();
    await pg.close();
    await expect(pg.ledger.append(eventLine(0))).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE" });
  });
});
