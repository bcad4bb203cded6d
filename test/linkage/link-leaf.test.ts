// The fast `link` leaf against the record schema and RFC 8785: the same answers, the same bytes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { linkEntryValid, prepareLinkRecord } from "../../src/linkage/link-leaf.js";
import type { LinkEntry } from "../../src/linkage/records.js";
import { canonicalBytes, decodeRecord, isCanonical, prepareRecord } from "../../src/record/index.js";

const text = fc.oneof(fc.string({ minLength: 0, maxLength: 12 }), fc.string({ unit: "binary", minLength: 1, maxLength: 8 }), fc.constantFrom("support-agent", "s3:GetObject", "ü\u2028\u0000\"\\"));
const entry: fc.Arbitrary<LinkEntry> = fc.record(
  {
    line: fc.oneof(fc.integer({ min: -2, max: 1e6 }), fc.constant(1.5)),
    event_id: text,
    time: fc.oneof(fc.date({ min: new Date("1970-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom("2026-11-24T10:00:00Z", "2026-02-30T10:00:00.000Z")),
    subject: text,
    action: text,
    resource: text,
    outcome: fc.constantFrom("allow", "deny", "error", "unknown", "executed", "failed", "maybe"),
    decision_id: fc.oneof(fc.uuid(), fc.constantFrom("", "with space", "x".repeat(129))),
    key: fc.constantFrom("decision_id", "trace_id", "credential", "subject_action_resource", "guess") as fc.Arbitrary<LinkEntry["key"]>,
    confidence: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(-0.1, 1.5)),
    trace_id: fc.constantFrom("4bf92f3577b34da6a3ce929d0e0e4736", "0".repeat(32), "ABC"),
  },
  { requiredKeys: ["line", "time", "subject", "action", "resource", "outcome", "decision_id", "key", "confidence"] },
);

const input = (links: LinkEntry[]) => ({ id: "01a212e5-199c-76fd-a50a-121d37051d82", time: "2026-11-24T10:00:00.000Z", run_id: "lnk_1", source: { system: "access-log", file: "a.jsonl" }, links });

describe("link leaf", () => {
  it("accepts only entries the record schema accepts", () => {
    fc.assert(
      fc.property(entry, (e) => {
        let schema = true;
        try {
          prepareRecord({ kind: "link", ...input([e]) });
        } catch {
          schema = false;
        }
        if (linkEntryValid(e)) expect(schema).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("writes the canonical bytes the generic encoder writes, and they decode to the same record", () => {
    fc.assert(
      fc.property(fc.array(entry.filter(linkEntryValid), { minLength: 1, maxLength: 20 }), (links) => {
        const prepared = prepareLinkRecord(input(links));
        expect(isCanonical(prepared.bytes)).toBe(true);
        expect(prepared.bytes.equals(canonicalBytes(prepared.record))).toBe(true);
        expect(decodeRecord(prepared.bytes)).toEqual(prepared.record);
        expect(prepared.bytes.equals(prepareRecord({ kind: "link", ...input(links), v: 1 }).bytes)).toBe(true);
      }),
    );
  });

  it("sends anything else through the schema, which refuses it by name", () => {
    const bad = { line: 0, time: "2026-11-24T10:00:00.000Z", subject: "a", action: "b", resource: "c", outcome: "allow", decision_id: "d", key: "decision_id", confidence: 1 } as LinkEntry;
    expect(() => prepareLinkRecord(input([bad]))).toThrow(/links\[0\]\.line/);
  });
});
