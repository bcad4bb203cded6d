// Leaf bytes ⇄ records: byte-identical round trips, and strict decoding of anything else.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArbiterError,
  CONTROLS,
  OUTCOMES,
  REASON_CODES,
  canonicalBytes,
  decodeRecord,
  isFinding,
  prepareRecord,
  type ReasonCode,
} from "../../src/record/index.js";
import { EXAMPLES } from "./examples.js";
import { refusalOf } from "../support/errors.js";

const NOW = new Date("2026-11-25T10:00:00.000Z");

const text = fc.string({ unit: "binary", minLength: 1, maxLength: 24 });
const instant = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString());
const decisionCodes = (Object.keys(REASON_CODES) as ReasonCode[]).filter((c) => !isFinding(c));

/** Random decision inputs covering optional parts, odd strings, free attributes and sensitive values. */
const decisionInput = fc.record(
  {
    kind: fc.constant("decision" as const),
    time: instant,
    subject: fc.record(
      {
        id: text,
        type: fc.constantFrom("agent", "service_account", "api_key", "workload", "pipeline", "human"),
        owner: text,
        groups: fc.array(text, { maxLength: 3 }),
        credential: fc.record({ id: text, kind: fc.constantFrom("api_key", "token", "oidc"), expires_at: instant }, { requiredKeys: ["id", "kind"] }),
      },
      { requiredKeys: ["id", "type"] },
    ),
    action: text,
    resource: fc.record({ id: text, sensitivity: fc.constantFrom("public", "restricted") }, { requiredKeys: ["id"] }),
    outcome: fc.constantFrom(...OUTCOMES),
    control: fc.constantFrom(...CONTROLS),
    reason_code: fc.constantFrom(...decisionCodes),
    note: text,
    policy: fc.record({ set_version: text, determining: fc.array(text, { maxLength: 3 }) }),
    obligations: fc.array(
      fc.oneof(
        fc.record({ type: fc.constant("rate" as const), remaining: fc.nat(), reset_at: instant }),
        fc.record({ type: fc.constant("grant_use" as const), grant_id: text }),
      ),
      { maxLength: 2 },
    ),
    retry_after: fc.nat(),
    attributes: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
    // "__proto__" matches the field-name pattern but is refused on purpose (see prepare.test.ts).
    sensitive: fc.dictionary(fc.stringMatching(/^[a-z_]{1,12}$/).filter((k) => k !== "__proto__"), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  },
  { requiredKeys: ["kind", "subject", "action", "resource", "outcome", "control", "reason_code", "note", "policy"] },
);

describe("decodeRecord", () => {
  it("round-trips prepare → decode → canonicalize byte for byte", () => {
    fc.assert(
      fc.property(decisionInput, (input) => {
        const { record, bytes } = prepareRecord(input, { now: NOW });
        const decoded = decodeRecord(bytes);
        expect(canonicalBytes(decoded).equals(bytes)).toBe(true);
        expect(canonicalBytes(record).equals(bytes)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  const leaf = prepareRecord(EXAMPLES.event, { now: NOW, newId: () => "evt-1" });
  const stored = JSON.parse(leaf.bytes.toString("utf8")) as Record<string, unknown>;
  const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8");

  it.each<[string, Buffer, string, string]>([
    ["pretty-printed JSON", Buffer.from(JSON.stringify(stored, null, 2)), "INVALID_RECORD", "record: the bytes are not in RFC 8785 canonical form"],
    ["a time not in normal form", canonicalBytes({ ...stored, time: "2026-11-25T10:00:00Z" }), "INVALID_RECORD", "record: the bytes are not in RFC 8785 canonical form"],
    ["raw sensitive values", canonicalBytes({ ...stored, sensitive: { prompt: "x" } }), "INVALID_RECORD", "sensitive: unknown field"],
    ["no id", canonicalBytes({ ...stored, id: undefined }), "INVALID_RECORD", "id: required"],
    ["no version", canonicalBytes({ ...stored, v: undefined }), "INVALID_RECORD", "v: required"],
    ["a lone surrogate", Buffer.from(leaf.bytes.toString("utf8").replace('"prod"', '"\\ud800"')), "INVALID_RECORD", "resource.id: contains a lone surrogate, which is not valid Unicode"],
    ["malformed UTF-8", Buffer.concat([leaf.bytes.subarray(0, 10), Buffer.from([0xc3, 0x28]), leaf.bytes.subarray(10)]), "INVALID_JSON", "the leaf is not valid UTF-8"],
    ["a byte-order mark", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), leaf.bytes]), "INVALID_JSON", ""],
    ["bytes beyond the leaf limit", bytesOf({ ...stored, note: "x".repeat(65536) }), "RECORD_TOO_LARGE", ""],
  ])("refuses %s", (_, bytes, code, message) => {
    const err = refusalOf(() => decodeRecord(bytes));
    expect(err.code).toBe(code);
    if (message !== "") expect(err.message).toBe(message);
  });

  it("accepts its own leaves", () => {
    expect(decodeRecord(leaf.bytes)).toEqual(leaf.record);
  });

  it("throws nothing but ArbiterError on arbitrary bytes or JSON", () => {
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
      fc.jsonValue().map((v) => canonicalBytes(v)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          decodeRecord(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ArbiterError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
