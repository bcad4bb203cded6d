// verifyLedger on the PostgreSQL ledger store: rows changed behind the ledger's back (an edited or
// deleted entry, a record_index or record_policies row that lies) are named at their index, as on
// SQLite, and a verify beside a writer checks the snapshot it started on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../../src/ledger/index.js";
import type { LedgerStore } from "../../../src/store/index.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { eventLine } from "../../support/ledger.js";
import { freshPgLedger, type PgLedger } from "../../support/postgres-ledger.js";

const ENTRIES = 60;
let pg: PgLedger;

beforeAll(async () => {
  pg = freshPgLedger();
  await Promise.all(Array.from({ length: ENTRIES }, (_, i) =>
    pg.ledger.append(eventLine(i, { policy: { set_version: "v1", determining: i % 2 ? ["deploy-window", "deploy-owners"] : ["deploy-window"] } })),
  ));
  pg.ledger.checkpoint();
});

afterAll(async () => {
  await pg.close();
});

/** verifyLedger's finding after `damage`, undone afterwards (the ledger's tables are shared by the cases). */
function verifyDamaged(damage: string, undo: string): ReturnType<typeof verifyLedger> {
  pg.conn.query(damage);
  try {
    return verifyLedger(pg.ledger.reader, pg.ledger.verifier, pg.ledger.origin);
  } finally {
    pg.conn.query(undo);
  }
}

describe("verifyLedger on PgLedgerStore", () => {
  it("passes on the untouched ledger, index rows compared as the text verify derives", () => {
    expect(verifyLedger(pg.ledger.reader, pg.ledger.verifier, pg.ledger.origin)).toMatchObject({ ok: true, entries: ENTRIES, checkpoints: 1 });
  });

  it("names an edited and a deleted entry at its index", () => {
    const edited = verifyDamaged(
      "UPDATE entries SET body = overlay(body PLACING convert_to('\"delete\"', 'UTF8') FROM position(convert_to('\"deploy\"', 'UTF8') IN body)) WHERE idx = 42",
      "UPDATE entries SET body = overlay(body PLACING convert_to('\"deploy\"', 'UTF8') FROM position(convert_to('\"delete\"', 'UTF8') IN body)) WHERE idx = 42",
    );
    expect(edited).toMatchObject({ ok: false, failure: { index: 42 } });
    const deleted = verifyDamaged("UPDATE entries SET idx = idx + 1000 WHERE idx = 50", "UPDATE entries SET idx = idx - 1000 WHERE idx = 1050");
    expect(deleted).toMatchObject({ ok: false, failure: { index: 50 } });
  });

  it("names the index and table of a record_index row that lies, is moved, or has no entry", () => {
    const flipped = verifyDamaged("UPDATE record_index SET outcome = 'allow' WHERE idx = 25", "UPDATE record_index SET outcome = 'deny' WHERE idx = 25");
    expect(flipped).toMatchObject({ ok: false, failure: { index: 25, table: "record_index" } });
    expect(flipped.failure?.problem).toMatch(/outcome is "allow" but the entry says "deny"/);
    expect(verifyDamaged("UPDATE record_index SET idx = 1000 WHERE idx = 12", "UPDATE record_index SET idx = 12 WHERE idx = 1000")).toMatchObject({
      ok: false,
      failure: { index: 12, table: "record_index", problem: expect.stringMatching(/no row for entry 12/) as unknown },
    });
    expect(verifyDamaged(
      "INSERT INTO record_index (idx, record_id, kind, time, outcome) VALUES (500, 'forged', 'decision', '2026-01-01T00:00:00Z', 'deny')",
      "DELETE FROM record_index WHERE idx = 500",
    )).toMatchObject({ ok: false, failure: { index: 500, problem: expect.stringMatching(/log holds 60 entries/) as unknown } });
  });

  it("names a determining policy removed from, added to or stray in record_policies", () => {
    expect(verifyDamaged(
      "DELETE FROM record_policies WHERE idx = 31 AND policy_id = 'deploy-owners'",
      "INSERT INTO record_policies (policy_id, idx) VALUES ('deploy-owners', 31)",
    )).toMatchObject({ ok: false, failure: { index: 31, table: "record_policies" } });
    expect(verifyDamaged(
      "INSERT INTO record_policies (policy_id, idx) VALUES ('break-glass', 8)",
      "DELETE FROM record_policies WHERE policy_id = 'break-glass'",
    )).toMatchObject({ ok: false, failure: { index: 8, table: "record_policies", problem: expect.stringMatching(/"break-glass"/) as unknown } });
    expect(verifyDamaged(
      "INSERT INTO record_policies (policy_id, idx) VALUES ('deploy-window', 900)",
      "DELETE FROM record_policies WHERE idx = 900",
    )).toMatchObject({ ok: false, failure: { index: 900 } });
    expect(verifyLedger(pg.ledger.reader, pg.ledger.verifier, pg.ledger.origin).ok).toBe(true);
  });

  it("checks the snapshot it started on while another connection appends", async () => {
    const writer = freshPgLedger({ conn: PgConnection.open(pg.conn.location), keys: pg.keys, groupCommit: false });
    const appended: Promise<unknown>[] = [];
    const store = pg.ledger.reader;
    const beside: LedgerStore = Object.create(store) as LedgerStore;
    // The pass asks for the size after it started reading: another process commits entries and rows exactly then.
    beside.size = () => {
      if (appended.length === 0) for (let i = 0; i < 5; i++) appended.push(writer.ledger.append(eventLine(100 + i)));
      return store.size();
    };
    const report = verifyLedger(beside, pg.ledger.verifier, pg.ledger.origin);
    await Promise.all(appended);
    expect(report).toMatchObject({ ok: true, entries: ENTRIES });
    await writer.close();
    expect(verifyLedger(store, pg.ledger.verifier, pg.ledger.origin)).toMatchObject({ ok: true, entries: ENTRIES + 5 });
  });
});
