// `log verify`, the console's "verify now" and serve's background check read the ledger while a server
// appends to it. Each pass must see one snapshot: an entry committed between reading the entries and
// reading their index rows was reported as an index row gone missing (a false alarm that stopped serve).
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLedger, verifyLedger, type Ledger } from "../../src/ledger/index.js";
import { initDataDir } from "../support/data-dir.js";
import type { LedgerStore } from "../../src/store/index.js";
import { tempDir } from "../support/cli.js";
import { eventLine } from "../support/ledger.js";

const dir = join(tempDir("arbiter-verify-beside-"), "data");
let writer: Ledger;
let reader: Ledger;

beforeAll(async () => {
  initDataDir(dir, { origin: "verify-beside.arbiter.example/log" });
  // Group commit off: each append commits at once, inside the call, so the test can commit mid-verify.
  writer = openLedger(dir, { checkpointIntervalMs: 0, groupCommit: false }).ledger;
  for (let i = 0; i < 40; i++) await writer.append(eventLine(i));
  reader = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
});

afterAll(async () => {
  await reader.close();
  await writer.close();
});

describe("a verify beside a writer", () => {
  it("checks the snapshot it started on, whatever is committed while it runs", async () => {
    const appended: Promise<unknown>[] = [];
    const store = reader.reader;
    // The pass asks for the log's size after it started reading the index rows: another process
    // commits entries (and their rows) exactly then.
    const beside: LedgerStore = Object.create(store) as LedgerStore;
    beside.size = () => {
      if (appended.length === 0) for (let i = 0; i < 5; i++) appended.push(writer.append(eventLine(100 + i)));
      return store.size();
    };
    const report = verifyLedger(beside, reader.verifier, reader.origin);
    await Promise.all(appended);
    expect(appended).toHaveLength(5);
    expect(report).toMatchObject({ ok: true, entries: 40 });
    expect(verifyLedger(store, reader.verifier, reader.origin)).toMatchObject({ ok: true, entries: 45 });
  });
});
