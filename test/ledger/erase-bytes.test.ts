// An erased raw value is gone from the bytes on disk: neither the database file nor its WAL still holds it.
import { describe, expect, it } from "vitest";
import { eventLine, freshLedger } from "../support/ledger.js";
import { storeFileBytes, withStoreDatabase } from "../support/store.js";

const RAW = "erase-me-7f3a9c41-do-not-keep";

function onDisk(dir: string): { database: boolean; wal: boolean } {
  return { database: storeFileBytes(dir, ["arbiter.db"]).includes(RAW), wal: storeFileBytes(dir, ["arbiter.db-wal"]).includes(RAW) };
}

describe("erasure on disk", () => {
  it("leaves no copy of an erased value in the database file or the WAL, in free pages or old frames", async () => {
    const { ledger, dir } = freshLedger();
    const { id } = await ledger.append(eventLine(0, { sensitive: { arguments: { text: RAW } } }));
    // Some of it folded into the database file, some still in WAL frames: both places are searched.
    withStoreDatabase(dir, (db) => db.pragma("wal_checkpoint(PASSIVE)"));
    await ledger.append(eventLine(1, { sensitive: { arguments: { text: `${RAW}-second` } } }));
    const before = onDisk(dir);
    expect(before.database || before.wal).toBe(true);

    const erasure = (subject: string) => (erased: number) => ({ kind: "event", source: "arbiter", subject: { id: "alice", type: "human" }, action: "erase_raw_values", resource: { id: subject, type: "subject" }, outcome: "allow", attributes: { erased_values: erased } });
    expect((await ledger.erase({ subjectId: "bot-0" }, erasure("bot-0"))).erased).toBe(1);
    expect((await ledger.erase({ subjectId: "bot-1" }, erasure("bot-1"))).erased).toBe(1);
    expect(ledger.reader.rawValuesOf(id)).toHaveLength(0);
    expect(onDisk(dir)).toEqual({ database: false, wal: false });

    // The ledger keeps working on the emptied WAL.
    await ledger.append(eventLine(2));
    expect(ledger.size()).toBe(5);
    await ledger.close();
    expect(onDisk(dir)).toEqual({ database: false, wal: false });
  });
});
