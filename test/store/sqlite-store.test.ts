// The SQLite store bundle: every repository on the ledger's one connection, and a location worker threads open read-only.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initLedgerDir } from "../../src/ledger/index.js";
import { openStore, openStoreReader, storeLocation, type Store } from "../../src/store/index.js";
import { tempDir } from "../support/cli.js";
import { codeOf } from "../support/errors.js";

function freshStore(): { dir: string; store: Store } {
  const dir = join(tempDir(), "data");
  initLedgerDir(dir, { origin: "test.arbiter.example/log" });
  return { dir, store: openStore(dir) };
}

describe("the SQLite store bundle", () => {
  it("refuses a data directory that holds no store, creating nothing", () => {
    const dir = join(tempDir(), "missing");
    expect(codeOf(() => openStore(dir))).toBe("DATA_DIR_INVALID");
    expect(existsSync(dir)).toBe(false);
  });

  it("hands out each repository once, on the connection the ledger writes through", () => {
    const { store } = freshStore();
    try {
      expect(store.grants).toBe(store.grants);
      expect(store.notifyOutbox).toBe(store.notifyOutbox);
      // A write made through another repository inside the ledger's transaction rolls back with it.
      expect(() =>
        store.ledger.write(() => {
          store.streamPositions.advance("nats", 3, new Date());
          expect(store.streamPositions.next("nats")).toBe(3);
          throw new Error("refused");
        }),
      ).toThrow("refused");
      expect(store.streamPositions.next("nats")).toBe(0);
      store.streamPositions.advance("nats", 5, new Date());
      expect(store.streamPositions.next("nats")).toBe(5);
    } finally {
      store.ledger.close();
    }
  });

  it("is located where a worker thread opens a read-only view of the same ledger", () => {
    const { dir, store } = freshStore();
    const reader = openStoreReader(store.location);
    try {
      expect(store.location).toEqual(storeLocation(dir));
      expect(reader.size()).toBe(store.ledger.size());
      expect(() => reader.write((writer) => writer.insertCheckpoint({ size: 0, root: Buffer.alloc(32), note: "x", signedAt: "2026-12-06T10:00:00Z" }))).toThrow(/readonly/);
    } finally {
      reader.close();
      store.ledger.close();
    }
  });
});
