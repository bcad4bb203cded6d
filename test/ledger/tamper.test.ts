// Tampering with the SQLite file directly: `arbiter log verify` must name the first bad index.
import type Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { leafHash } from "../../src/ledger/index.js";
import { arbiter, tempDir } from "../support/cli.js";
import { eventLine, tamperedCopy } from "../support/ledger.js";
import { readRow, writeRow } from "../support/rows.js";

const ENTRIES = 100;
let pristine: string;
const work = tempDir();

function tampered(name: string, damage: (db: Database.Database) => void): string {
  return tamperedCopy(pristine, join(work, name), damage);
}

function verify(dir: string): { status: number | null; failure?: { index: number; problem: string }; ok: boolean } {
  const result = arbiter(["log", "verify", "--json", "--data", dir]);
  return { status: result.status, ...(JSON.parse(result.stdout) as { ok: boolean; failure?: { index: number; problem: string } }) };
}

beforeAll(() => {
  pristine = join(work, "pristine");
  expect(arbiter(["init", "--data", pristine, "--origin", "tamper.arbiter.example/log"]).status).toBe(0);
  const half = Array.from({ length: ENTRIES / 2 }, (_, i) => JSON.stringify(eventLine(i))).join("\n");
  const rest = Array.from({ length: ENTRIES / 2 }, (_, i) => JSON.stringify(eventLine(i + ENTRIES / 2))).join("\n");
  // Two appends, so two checkpoints are signed (at 50 and at 100).
  expect(arbiter(["log", "append", "--data", pristine], { input: half }).status).toBe(0);
  expect(arbiter(["log", "append", "--data", pristine], { input: rest }).status).toBe(0);
});

describe("arbiter log verify on a tampered SQLite file", () => {
  it("passes on the untouched ledger", () => {
    const result = verify(pristine);
    expect(result).toMatchObject({ status: 0, ok: true });
  });

  it("reports an edited entry at its index", () => {
    const dir = tampered("edit", (db) => {
      const row = readRow(db, 42);
      writeRow(db, 42, { ...row, data: Buffer.from(row.data.toString().replace('"deploy"', '"delete"')) });
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 42 } });
  });

  it("reports an edit whose leaf hash was recomputed by the attacker at the start of the subtree it broke", () => {
    const dir = tampered("edit-rehashed", (db) => {
      const data = Buffer.from(readRow(db, 42).data.toString().replace('"deploy"', '"delete"'));
      writeRow(db, 42, { data, hashes: leafHash(data) });
    });
    const result = verify(dir);
    expect(result).toMatchObject({ status: 1, ok: false, failure: { index: 42 } });
    expect(result.failure?.problem).toMatch(/entries 42\.\.43/);
  });

  it("reports a deleted entry", () => {
    const dir = tampered("delete", (db) => {
      db.prepare("DELETE FROM entries WHERE idx = 50").run();
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 50, problem: expect.stringMatching(/missing/) as unknown } });
  });

  it("reports a deleted entry whose successors were renumbered to close the gap", () => {
    const dir = tampered("delete-renumber", (db) => {
      db.prepare("DELETE FROM entries WHERE idx = 30").run();
      db.prepare("UPDATE entries SET idx = -idx + 1 WHERE idx > 30").run();
      db.prepare("UPDATE entries SET idx = -idx WHERE idx < 0").run();
    });
    const result = verify(dir);
    expect(result).toMatchObject({ status: 1, ok: false, failure: { index: 30 } });
    expect(result.failure?.problem).toMatch(/entry 30 holds the entry appended at 31/);
  });

  it("reports deleted trailing entries that a checkpoint covered", () => {
    const dir = tampered("truncate", (db) => {
      db.prepare("DELETE FROM entries WHERE idx >= 90").run();
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 90 } });
  });

  it("reports reordered entries at the first of them", () => {
    const dir = tampered("reorder", (db) => {
      const a = readRow(db, 10);
      const b = readRow(db, 11);
      writeRow(db, 10, { ...a, data: b.data });
      writeRow(db, 11, { ...b, data: a.data });
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 10 } });
  });

  it("reports swapped whole rows (leaf and hashes) at the first of them", () => {
    const dir = tampered("swap-rows", (db) => {
      db.prepare("UPDATE entries SET idx = -1 WHERE idx = 20").run();
      db.prepare("UPDATE entries SET idx = 20 WHERE idx = 21").run();
      db.prepare("UPDATE entries SET idx = 21 WHERE idx = -1").run();
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 20 } });
  });

  it("reports an inserted entry", () => {
    const dir = tampered("insert", (db) => {
      db.prepare("UPDATE entries SET idx = -idx - 1 WHERE idx >= 60").run();
      db.prepare("UPDATE entries SET idx = -idx WHERE idx < 0").run();
      const forged = Buffer.from(JSON.stringify({ kind: "event", forged: true }));
      writeRow(db, 60, { data: forged, hashes: leafHash(forged) });
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 60 } });
  });

  it("reports a forged checkpoint signature", () => {
    const dir = tampered("checkpoint", (db) => {
      const note = db.prepare("SELECT note FROM checkpoints WHERE size = 50").pluck().get() as string;
      db.prepare("UPDATE checkpoints SET note = ? WHERE size = 50").run(note.replace(/ (\S+)\n$/, " AAAA$1\n"));
    });
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { index: 0 } });
  });

  it("refuses to append on a stored tree that does not extend the last checkpoint", () => {
    const dir = tampered("inconsistent", (db) => {
      writeRow(db, 99, { ...readRow(db, 99), hashes: Buffer.alloc(32 * 3, 7) });
    });
    // The checkpoint kept outside the database refuses the log at open; without it, the append itself refuses.
    const opened = arbiter(["log", "append", "--data", dir], { input: JSON.stringify(eventLine(100)) });
    expect(opened.status).toBe(1);
    expect(opened.stderr).toMatch(/this log signed .* at that size .*rolled back or rewritten.*LEDGER_CORRUPT/);
    rmSync(join(dir, "latest.checkpoint"));
    const appended = arbiter(["log", "append", "--data", dir], { input: JSON.stringify(eventLine(100)) });
    expect(appended.status).toBe(1);
    expect(appended.stderr).toMatch(/line 1: refusing to append.*LEDGER_CORRUPT/);
    expect(appended.stdout).toBe("");
  });
});
