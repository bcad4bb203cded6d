// A leaf's kind chooses its subject only when it is a record kind this build knows.
import { describe, expect, it } from "vitest";
import { knownKind, readEntries, subjectOf } from "../../src/stream/index.js";
import type { StoredEntry } from "../../src/store/index.js";

function storeOf(datas: readonly string[], skip: readonly number[] = []) {
  return {
    *entries(from: number, to: number): IterableIterator<StoredEntry> {
      for (let index = from; index < Math.min(to, datas.length); index++) {
        if (!skip.includes(index)) yield { index, hashes: Buffer.alloc(32, index), data: Buffer.from(datas[index] ?? "") };
      }
    },
  };
}

describe("subjects from kinds", () => {
  it.each(["decision", "enforcement", "approval", "grant", "lifecycle", "policy_change", "imported", "event", "link", "finding"])("publishes a %s record on PREFIX.%s", (kind) => {
    expect(subjectOf("arbiter.records", { kind: knownKind(kind) })).toBe(`arbiter.records.${kind}`);
  });

  it.each(["decision.>", "*", ">", "event.secret", "a b", "event\r\nPUB x 1", "", "DECISION", "__proto__", "constructor"])("never publishes a leaf claiming kind %j under a name of its choosing", (kind) => {
    expect(knownKind(kind)).toBeUndefined();
    expect(subjectOf("arbiter.records", { kind: knownKind(kind) })).toBe("arbiter.records.unknown");
  });

  it("reads hostile leaves as they are, with an unknown kind, and stops at a gap", () => {
    const datas = [JSON.stringify({ kind: "event" }), JSON.stringify({ kind: "event.>" }), "not json", JSON.stringify(["decision"]), JSON.stringify({ kind: 7 }), JSON.stringify({ kind: "event" })];
    const read = readEntries(storeOf(datas, [5]), 0, 6);
    expect(read.map((e) => e.kind)).toEqual(["event", undefined, undefined, undefined, undefined]);
    expect(read.map((e) => e.data.toString())).toEqual(datas.slice(0, 5));
    expect(read[1]?.leafHash).toBe("01".repeat(32));
    expect(readEntries(storeOf(datas, [0]), 0, 6)).toEqual([]);
  });
});
