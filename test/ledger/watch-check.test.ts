// The checks of the background verify, one damage each: new entries edited after they were appended,
// entries removed, a latest checkpoint the log no longer holds, a file deleted or swapped.
import Database from "better-sqlite3";
import { copyFileSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SqliteLedgerStore, openDatabase } from "../../src/store/index.js";
import { TailCheck, fileIdentity, fileProblem, rollbackCheck } from "../../src/ledger/watch-check.js";
import { eventLine, freshLedger } from "../support/ledger.js";

async function ledgerWith(entries: number) {
  const opened = freshLedger({ checkpointIntervalMs: 0 });
  for (let i = 0; i < entries; i++) await opened.ledger.append(eventLine(i));
  const path = join(opened.dir, "arbiter.db");
  const reader = new SqliteLedgerStore(openDatabase(path, { create: false, readonly: true }));
  const writer = (): Database.Database => new Database(path);
  return { ...opened, path, reader, writer };
}

describe("TailCheck", () => {
  it("checks only what was appended since its last round, and finds a new entry edited after its append", async () => {
    const l = await ledgerWith(5);
    const tail = new TailCheck();
    expect(tail.check(l.reader)).toBeUndefined();
    expect(tail.checked).toBe(5);
    for (let i = 5; i < 9; i++) await l.ledger.append(eventLine(i));
    const db = l.writer();
    const body = db.prepare("SELECT body FROM entries WHERE idx = 7").pluck().get() as Buffer;
    body.writeUInt8(body.readUInt8(body.length - 3) ^ 0x01, body.length - 3);
    db.prepare("UPDATE entries SET body = ? WHERE idx = 7").run(body);
    db.close();
    expect(tail.check(l.reader)).toMatchObject({ check: "incremental", index: 7, message: expect.stringContaining("entry 7") as unknown });
    await l.ledger.close();
  });

  it("finds entries removed since the last round", async () => {
    const l = await ledgerWith(6);
    const tail = new TailCheck();
    expect(tail.check(l.reader)).toBeUndefined();
    const db = l.writer();
    db.prepare("DELETE FROM entries WHERE idx >= 4").run();
    db.close();
    expect(tail.check(l.reader)).toMatchObject({ check: "incremental", index: 4, message: "the log shrank from 6 to 4 entries while it was open" });
    await l.ledger.close();
  });
});

describe("rollbackCheck", () => {
  it("passes while the log holds its latest signed checkpoint and fails once it no longer does", async () => {
    const l = await ledgerWith(4);
    l.ledger.checkpoint();
    const file = join(l.dir, "latest.checkpoint");
    expect(rollbackCheck(l.reader, file, l.ledger.verifier, l.ledger.origin)).toBeUndefined();
    const db = l.writer();
    db.prepare("DELETE FROM entries WHERE idx >= 2").run();
    db.close();
    expect(rollbackCheck(l.reader, file, l.ledger.verifier, l.ledger.origin)).toMatchObject({ check: "rollback", message: expect.stringMatching(/holds 2 entries but this log signed a checkpoint at size 4/) as unknown });
    await l.ledger.close();
  });
});

describe("fileProblem", () => {
  it("names a deleted file and a file replaced by a copy, and nothing for the same file", async () => {
    const l = await ledgerWith(1);
    await l.ledger.close();
    const opened = fileIdentity(l.path);
    if (opened === undefined) throw new Error("no file");
    expect(fileProblem(l.path, opened)).toBeUndefined();
    copyFileSync(l.path, `${l.path}.copy`);
    renameSync(`${l.path}.copy`, l.path);
    expect(fileProblem(l.path, opened)).toMatchObject({ check: "file", message: expect.stringMatching(/was replaced by another file/) as unknown });
    rmSync(l.path);
    expect(fileProblem(l.path, opened)).toMatchObject({ check: "file", message: expect.stringMatching(/was deleted/) as unknown });
  });
});
