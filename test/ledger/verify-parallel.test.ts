// The parallel verify (threads over aligned spans, merged in order) must find exactly what the serial
// verify finds: the same first bad index, the same words, the same entries, checkpoints and root, for
// tampering inside one thread's span, at a span's edge, above a span's root and in the query tables.
import type Database from "better-sqlite3";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  dataDirCheckpoint,
  leafHash,
  openLedger,
  verifyLedger,
  verifyLedgerInParallel,
  type LedgerVerification,
  type ParallelVerifyOptions,
} from "../../src/ledger/index.js";
import { initDataDir } from "../support/data-dir.js";
import { storeLocation, type LedgerStore } from "../../src/store/index.js";
import { tempDir } from "../support/cli.js";
import { eventLine, tamperedCopy } from "../support/ledger.js";
import { readRow, writeRow } from "../support/rows.js";

const ENTRIES = 150;
const work = tempDir("arbiter-verify-parallel-");
const pristine = join(work, "pristine");
// Spans of 8 entries on 2 threads, and of 16 on 3: neighbouring spans land on different threads.
const SMALL: ParallelVerifyOptions = { threads: 2, spanLevel: 3, minEntries: 0 };
const SHAPES: ParallelVerifyOptions[] = [SMALL, { threads: 3, spanLevel: 4, minEntries: 0 }];

const line = (i: number): Record<string, unknown> =>
  eventLine(i, { policy: { set_version: "v1", determining: i % 3 ? ["deploy-window", "deploy-owners"] : ["deploy-window"] } });

beforeAll(async () => {
  initDataDir(pristine, { origin: "verify-parallel.arbiter.example/log" });
  const { ledger } = openLedger(pristine, { checkpointIntervalMs: 0 });
  // Checkpoints inside spans, at a span's end (32, 64) and at the end.
  for (let i = 0; i < ENTRIES; i++) {
    await ledger.append(line(i));
    if ([5, 32, 37, 64, 100].includes(i + 1)) ledger.checkpoint();
  }
  await ledger.close();
});

function tampered(name: string, damage: (db: Database.Database) => void): string {
  return tamperedCopy(pristine, join(work, name), damage);
}

async function bothWays(dir: string): Promise<{ serial: LedgerVerification; parallel: LedgerVerification[] }> {
  const { ledger, store } = openLedger(dir, { checkpointIntervalMs: 0, rollbackCheck: false });
  try {
    const outside = dataDirCheckpoint(join(dir, "latest.checkpoint"));
    const serial = verifyLedger(ledger.reader, ledger.verifier, ledger.origin, { outside });
    const parallel: LedgerVerification[] = [];
    for (const shape of SHAPES) parallel.push(await verifyLedgerInParallel(ledger.reader, store.location, ledger.verifier, ledger.origin, { ...shape, outside }));
    return { serial, parallel };
  } finally {
    await ledger.close();
  }
}

async function expectSame(dir: string, index?: number): Promise<LedgerVerification> {
  const { serial, parallel } = await bothWays(dir);
  for (const report of parallel) expect(report).toEqual(serial);
  if (index === undefined) expect(serial.ok).toBe(true);
  else expect(serial.failure?.index).toBe(index);
  return serial;
}

const editLeaf = (db: Database.Database, index: number, rehash = false): void => {
  const row = readRow(db, index);
  const data = Buffer.from(row.data.toString().replace('"deploy"', '"delete"'));
  writeRow(db, index, rehash ? { data, hashes: Buffer.concat([leafHash(data), row.hashes.subarray(32)]) } : { ...row, data });
};

describe("the parallel verify finds what the serial verify finds", () => {
  // Six stored checkpoints and the data directory's copy of the last.
  it("passes the untouched ledger with the same root, entries and checkpoints", async () => {
    const report = await expectSame(pristine);
    expect(report).toMatchObject({ ok: true, entries: ENTRIES, checkpoints: 7 });
  });

  it("an edited leaf in the first span, in a later span, and in two spans of different threads at once", async () => {
    await expectSame(tampered("edit-3", (db) => editLeaf(db, 3)), 3);
    await expectSame(tampered("edit-90", (db) => editLeaf(db, 90)), 90);
    await expectSame(tampered("edit-19-and-42", (db) => (editLeaf(db, 42), editLeaf(db, 19))), 19);
  });

  it("an edit rehashed by the attacker, found only by a subtree hash above the span's root", async () => {
    // Entry 63 ends a span of 8 and one of 16; levels 4 and 5 of what it stores lie above both.
    const report = await expectSame(tampered("rehashed-63", (db) => editLeaf(db, 63, true)), 62);
    expect(report.failure?.problem).toMatch(/entries 62\.\.63/);
    await expectSame(tampered("rehashed-40", (db) => editLeaf(db, 40, true)), 40);
  });

  it("a stored hash above every span's root changed alone", async () => {
    const dir = tampered("level-5", (db) => {
      const row = readRow(db, 63);
      const hashes = Buffer.from(row.hashes);
      hashes.fill(9, 5 * 32, 6 * 32);
      writeRow(db, 63, { ...row, hashes });
    });
    const report = await expectSame(dir, 32);
    expect(report.failure?.problem).toMatch(/level-5 subtree hash/);
  });

  it("deleted, renumbered, swapped, inserted and truncated rows, at a span's edge too", async () => {
    await expectSame(tampered("delete-24", (db) => db.prepare("DELETE FROM entries WHERE idx = 24").run()), 24);
    await expectSame(tampered("delete-45-47", (db) => db.prepare("DELETE FROM entries WHERE idx BETWEEN 45 AND 47").run()), 45);
    await expectSame(
      tampered("renumber-30", (db) => {
        db.prepare("DELETE FROM entries WHERE idx = 30").run();
        db.prepare("UPDATE entries SET idx = -idx + 1 WHERE idx > 30").run();
        db.prepare("UPDATE entries SET idx = -idx WHERE idx < 0").run();
      }),
      30,
    );
    await expectSame(
      tampered("swap-71-72", (db) => {
        db.prepare("UPDATE entries SET idx = -1 WHERE idx = 71").run();
        db.prepare("UPDATE entries SET idx = 71 WHERE idx = 72").run();
        db.prepare("UPDATE entries SET idx = 72 WHERE idx = -1").run();
      }),
      70,
    );
    await expectSame(
      tampered("insert-60", (db) => {
        db.prepare("UPDATE entries SET idx = -idx - 1 WHERE idx >= 60").run();
        db.prepare("UPDATE entries SET idx = -idx WHERE idx < 0").run();
        const forged = Buffer.from(JSON.stringify({ kind: "event", forged: true }));
        writeRow(db, 60, { data: forged, hashes: leafHash(forged) });
      }),
      60,
    );
    await expectSame(tampered("truncate-120", (db) => db.prepare("DELETE FROM entries WHERE idx >= 120").run()), 120);
  });

  it("a forged checkpoint signature and a checkpoint's root changed", async () => {
    await expectSame(
      tampered("cp-signature", (db) => {
        const note = db.prepare("SELECT note FROM checkpoints WHERE size = 37").pluck().get() as string;
        db.prepare("UPDATE checkpoints SET note = ? WHERE size = 37").run(note.replace(/ (\S+)\n$/, " AAAA$1\n"));
      }),
      32,
    );
    await expectSame(tampered("cp-root", (db) => db.prepare("UPDATE checkpoints SET root = zeroblob(32) WHERE size = 64").run()), 37);
  });

  it("query-table rows changed in spans of different threads, removed, added and stray", async () => {
    await expectSame(tampered("flip-11-and-50", (db) => db.exec("UPDATE record_index SET outcome = iif(outcome = 'allow', 'deny', 'allow') WHERE idx IN (11, 50)")), 11);
    await expectSame(tampered("row-deleted-77", (db) => db.exec("DELETE FROM record_index WHERE idx = 77")), 77);
    await expectSame(tampered("policy-added-8", (db) => db.exec("INSERT INTO record_policies (policy_id, idx) VALUES ('break-glass', 8)")), 8);
    await expectSame(tampered("policy-removed-130", (db) => db.exec("DELETE FROM record_policies WHERE idx = 130 AND policy_id = 'deploy-owners'")), 130);
    await expectSame(
      tampered("stray", (db) => db.exec("INSERT INTO record_index (idx, record_id, kind, time, outcome) VALUES (500, 'forged', 'decision', '2026-01-01T00:00:00Z', 'deny')")),
      500,
    );
    // A changed entry is the finding, not the query-table row of an earlier one.
    await expectSame(tampered("row-and-entry", (db) => (db.exec("DELETE FROM record_index WHERE idx = 5"), editLeaf(db, 140))), 140);
  });
});

describe("the parallel verify beside a writer", () => {
  const dir = join(tempDir("arbiter-verify-parallel-beside-"), "data");

  it("checks the size it read first, whatever is committed while its threads run", async () => {
    initDataDir(dir, { origin: "verify-parallel-beside.arbiter.example/log" });
    const writer = openLedger(dir, { checkpointIntervalMs: 0, groupCommit: false }).ledger;
    for (let i = 0; i < 40; i++) await writer.append(line(i));
    const { ledger: reader, store: { location } } = openLedger(dir, { checkpointIntervalMs: 0 });
    const appended: Promise<unknown>[] = [];
    const store = reader.reader;
    const beside: LedgerStore = Object.create(store) as LedgerStore;
    beside.indexedSize = () => {
      if (appended.length === 0) for (let i = 0; i < 5; i++) appended.push(writer.append(line(100 + i)));
      return store.indexedSize();
    };
    try {
      const report = await verifyLedgerInParallel(beside, location, reader.verifier, reader.origin, SMALL);
      await Promise.all(appended);
      expect(appended).toHaveLength(5);
      expect(report).toMatchObject({ ok: true, entries: 40 });
      expect(await verifyLedgerInParallel(store, location, reader.verifier, reader.origin, SMALL)).toMatchObject({ ok: true, entries: 45 });
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe("the parallel verify failing to run", () => {
  it("is an error naming the cause, not a finding and not a pass, when a thread cannot open the database", async () => {
    const { ledger } = openLedger(pristine, { checkpointIntervalMs: 0 });
    try {
      const run = verifyLedgerInParallel(ledger.reader, storeLocation(join(work, "no-such-dir")), ledger.verifier, ledger.origin, SMALL);
      await expect(run).rejects.toMatchObject({ code: "LEDGER_UNAVAILABLE", message: expect.stringMatching(/could not be verified: .*does not exist/) as unknown });
    } finally {
      await ledger.close();
    }
  });
});
