// prepareRecord: valid and invalid inputs per kind, id/time filling, commitments, the leaf limit and fuzzing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ArbiterError,
  LEAF_LIMIT_BYTES,
  RECORD_KINDS,
  decodeRecord,
  isCanonical,
  prepareRecord,
  verifyCommitment,
} from "../../src/record/index.js";
import { EXAMPLES, SMALLEST_LINE } from "./examples.js";
import { refusalOf } from "../support/errors.js";

const NOW = new Date("2026-11-25T10:00:00.000Z");
const fixed = { now: NOW, newId: () => "rec-1" };
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("prepareRecord: valid records", () => {
  it("has an example for every kind", () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual([...RECORD_KINDS].sort());
  });

  it.each(RECORD_KINDS)("accepts a %s record and encodes it canonically", (kind) => {
    const { record, bytes } = prepareRecord(EXAMPLES[kind], { now: NOW });
    expect(record).toMatchObject({ v: 1, kind, time: "2026-11-25T10:00:00.000Z" });
    expect(record.id).toMatch(UUID_V7);
    expect(isCanonical(bytes)).toBe(true);
    expect(decodeRecord(bytes)).toEqual(record);
  });

  it("accepts the smallest documented line and fills in id and time", () => {
    const { record, bytes, raw } = prepareRecord(JSON.parse(SMALLEST_LINE), fixed);
    expect(raw).toEqual([]);
    expect(bytes.toString("utf8")).toBe(
      '{"action":"deploy","id":"rec-1","kind":"event","outcome":"allow","resource":{"id":"prod"},' +
        '"source":"ci","subject":{"id":"deploy-bot","type":"pipeline"},"time":"2026-11-25T10:00:00.000Z","v":1}',
    );
    expect(record).toEqual({ ...EXAMPLES.event, v: 1, id: "rec-1", time: "2026-11-25T10:00:00.000Z" });
  });

  it("keeps a given id and normalises a given time", () => {
    const { record } = prepareRecord({ ...EXAMPLES.event, id: "evt-9", time: "2026-11-25T11:30:00.25+01:00", v: 1 }, fixed);
    expect(record.id).toBe("evt-9");
    expect(record.time).toBe("2026-11-25T10:30:00.250Z");
  });

  it("normalises every timestamp in the record", () => {
    const { record } = prepareRecord(EXAMPLES.imported, fixed);
    expect(record).toMatchObject({ original_time: "2026-11-25T09:58:12.345Z" });
  });

  it("gives every call its own id", () => {
    const ids = new Set(Array.from({ length: 2000 }, () => prepareRecord(EXAMPLES.event, { now: NOW }).record.id));
    expect(ids.size).toBe(2000);
  });

  it("treats members set to undefined as absent", () => {
    const { bytes } = prepareRecord({ ...EXAMPLES.event, note: undefined, sensitive: { prompt: undefined } }, fixed);
    expect(bytes.equals(prepareRecord(EXAMPLES.event, fixed).bytes)).toBe(true);
  });
});

describe("prepareRecord: invalid records", () => {
  const event = EXAMPLES.event;
  const decision = EXAMPLES.decision;
  it.each<[string, unknown, string]>([
    ["not an object", "deploy", "record: expected an object (got a string)"],
    ["no kind", { source: "ci" }, "kind: required (expected one of decision, enforcement, approval, grant, lifecycle, policy_change, imported, event, link, finding, notification)"],
    ["an unknown kind", { kind: "foo" }, 'kind: unknown record kind "foo" (expected decision, enforcement, approval, grant, lifecycle, policy_change, imported, event, link, finding, notification)'],
    ["a missing subject id", { ...event, subject: { type: "pipeline" } }, "subject.id: required"],
    ["an empty subject id", { ...event, subject: { id: "", type: "pipeline" } }, "subject.id: must not be empty"],
    ["an unknown identity type", { ...event, subject: { id: "x", type: "robot" } }, 'subject.type: expected one of agent, service_account, api_key, workload, pipeline, human (got "robot")'],
    ["unknown outside imported records", { ...event, subject: { id: "x", type: "unknown" } }, 'subject.type: expected one of agent, service_account, api_key, workload, pipeline, human (got "unknown")'],
    ["a misspelt field", { ...event, subject: undefined, subjct: event.subject }, "subjct: unknown field (and 1 more problem)"],
    ["another version", { ...event, v: 2 }, "v: expected 1 (got 2)"],
    ["a long id", { ...event, id: "x".repeat(129) }, "id: expected 1 to 128 visible ASCII characters"],
    ["an impossible date", { ...event, time: "2026-02-30T00:00:00Z" }, "time: expected an RFC 3339 date-time such as 2026-11-25T10:00:00.000Z"],
    ["an upper-case trace id", { ...event, correlation: { trace_id: "4BF92F3577B34DA6A3CE929D0E0E4736" } }, "correlation.trace_id: expected 32 lowercase hex digits, not all zero (W3C trace-id)"],
    ["a finding as decision reason", { ...decision, reason_code: "UNLINKED_ACTION" }, "reason_code: UNLINKED_ACTION is a finding code, which no decision carries"],
    ["an unknown reason code", { ...event, reason_code: "NOPE" }, 'reason_code: unknown reason code "NOPE" (docs/reason-codes.md lists them)'],
    ["a fractional retry_after", { ...decision, retry_after: 1.5 }, "retry_after: expected an integer (got a fraction)"],
    ["an unknown obligation", { ...decision, obligations: [{ type: "redact" }] }, 'obligations[0].type: expected one of mask, rate, grant_use (got "redact")'],
    ["break-glass without review", { ...decision, break_glass: { expires_at: "2026-11-25T11:00:00Z", review_required: false } }, "break_glass.review_required: expected true (got false)"],
    ["a broken delegation chain", { ...decision, delegation: [{ id: "a", type: "agent", on_behalf_of: "u" }, { id: "v", type: "human" }] }, 'delegation[0].on_behalf_of: must name the next link of the chain, "v"'],
    ["a negative detector count", { ...EXAMPLES.enforcement, masked: { fields: [], detectors: { email: -1 } } }, "masked.detectors.email: expected a count (an integer, 0 or more)"],
    ["a missing from_version", { ...EXAMPLES.policy_change, from_version: undefined }, "from_version: required"],
    ["a malformed diff hash", { ...EXAMPLES.policy_change, diff_hash: "abc" }, 'diff_hash: expected "sha256:" followed by 64 lowercase hex digits'],
    ["attributes that are not an object", { ...event, attributes: [1] }, "attributes: expected a JSON object"],
    ["attributes that are not JSON", { ...event, attributes: { when: new Date(0) } }, "attributes.when: expected plain JSON data, not a class instance"],
    ["a sensitive field name with a space", { ...event, sensitive: { "raw prompt": "x" } }, 'sensitive["raw prompt"]: a field name has 1 to 128 letters, digits or _ . $ [ ] -'],
    ["a sensitive __proto__ field", JSON.parse('{"kind":"event","sensitive":{"__proto__":"x"}}'), 'sensitive.__proto__: a field name has 1 to 128 letters, digits or _ . $ [ ] - (and 5 more problems)'],
    ["a lone surrogate in a note", { ...event, note: "bad \ud800" }, "note: contains a lone surrogate, which is not valid Unicode"],
    ["a sensitive field that is also committed", { ...event, commitments: { prompt: `sha256:${"e".repeat(64)}` }, sensitive: { prompt: "hi" } }, "sensitive.prompt: commitments.prompt is already given; commit a field once"],
  ])("refuses %s", (_, input, message) => {
    const err = refusalOf(() => prepareRecord(input, fixed));
    expect(err.code).toBe("INVALID_RECORD");
    expect(err.message).toBe(message);
  });

  it("refuses attributes nested deeper than 32 levels", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 33; i++) deep = [deep];
    const err = refusalOf(() => prepareRecord({ ...event, attributes: { deep } }, fixed));
    expect(err.message).toBe(`attributes.deep${"[0]".repeat(31)}: nested deeper than 32 levels`);
  });

  it("refuses an invalid id from options.newId", () => {
    const err = refusalOf(() => prepareRecord(event, { newId: () => "has space" }));
    expect(err.code).toBe("USAGE");
  });

  it("lists every problem in details", () => {
    const err = refusalOf(() => prepareRecord({ kind: "event", source: "ci" }, fixed));
    expect(err.details.problems).toEqual([
      { path: "subject", problem: "required" },
      { path: "action", problem: "required" },
      { path: "resource", problem: "required" },
      { path: "outcome", problem: "required" },
    ]);
  });
});

describe("prepareRecord: sensitive values", () => {
  it("replaces them by salted commitments and returns them as raw values", () => {
    const prompt = "Summarise the attached contract for me";
    const { record, bytes, raw } = prepareRecord({ ...EXAMPLES.event, sensitive: { prompt, args: { n: 1 } } }, fixed);
    expect(raw.map((r) => r.field)).toEqual(["prompt", "args"]);
    expect(record.commitments).toEqual({ prompt: raw[0]?.commitment, args: raw[1]?.commitment });
    for (const r of raw) expect(verifyCommitment(r.commitment, r.salt, r.value)).toBe(true);
    expect(bytes.includes(prompt)).toBe(false);
    expect("sensitive" in record).toBe(false);
  });

  it("commits equal values differently", () => {
    const a = prepareRecord({ ...EXAMPLES.event, sensitive: { prompt: "same" } }, fixed);
    const b = prepareRecord({ ...EXAMPLES.event, sensitive: { prompt: "same" } }, fixed);
    expect(a.raw[0]?.commitment).not.toBe(b.raw[0]?.commitment);
  });

  it("keeps an own __proto__ key in attributes and accepts field names shared with Object.prototype", () => {
    const attributes = JSON.parse('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    const { bytes, record } = prepareRecord({ ...EXAMPLES.event, attributes, sensitive: { constructor: "c" } }, fixed);
    expect(bytes.toString("utf8")).toContain('"attributes":{"__proto__":{"polluted":true}}');
    expect(Object.keys(record.commitments ?? {})).toEqual(["constructor"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("keeps given commitments next to new ones", () => {
    const given = `sha256:${"f".repeat(64)}`;
    const { record } = prepareRecord({ ...EXAMPLES.event, commitments: { reply: given }, sensitive: { prompt: "p" } }, fixed);
    expect(Object.keys(record.commitments ?? {})).toEqual(["reply", "prompt"]);
  });

  it("never writes a raw value into the leaf", () => {
    const secret = fc.string({ unit: "binary", minLength: 1 }).map((s) => `SECRET:${s}`);
    fc.assert(
      fc.property(secret, fc.jsonValue(), (prompt, extra) => {
        const { bytes } = prepareRecord({ ...EXAMPLES.decision, sensitive: { prompt, args: { prompt, extra } } }, fixed);
        const text = bytes.toString("utf8");
        expect(text.includes(prompt)).toBe(false);
        expect(text.includes(JSON.stringify(prompt).slice(1, -1))).toBe(false);
      }),
    );
  });
});

describe("prepareRecord: leaf size limit", () => {
  const base = prepareRecord({ ...EXAMPLES.event, note: "x" }, fixed).bytes.length;
  const withNoteOf = (bytes: number) => ({ ...EXAMPLES.event, note: "x".repeat(1 + bytes - base) });

  it("accepts a leaf of exactly 65536 bytes", () => {
    expect(prepareRecord(withNoteOf(LEAF_LIMIT_BYTES), fixed).bytes).toHaveLength(65536);
  });

  it("refuses one byte more, naming size and limit", () => {
    const err = refusalOf(() => prepareRecord(withNoteOf(LEAF_LIMIT_BYTES + 1), fixed));
    expect(err.code).toBe("RECORD_TOO_LARGE");
    expect(err.message).toBe("record is 65537 bytes as canonical JSON, over the 65536-byte leaf limit");
  });

  it("counts UTF-8 bytes, not characters", () => {
    const euros = Math.ceil((LEAF_LIMIT_BYTES - base) / 3) + 1;
    const err = refusalOf(() => prepareRecord({ ...EXAMPLES.event, note: "€".repeat(euros) }, fixed));
    expect(err.code).toBe("RECORD_TOO_LARGE");
  });
});

describe("prepareRecord: fuzzing", () => {
  const onlyArbiterErrors = (input: unknown) => {
    try {
      prepareRecord(input, fixed);
    } catch (err) {
      expect(err).toBeInstanceOf(ArbiterError);
    }
  };

  it("throws nothing but ArbiterError on arbitrary JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), onlyArbiterErrors), { numRuns: 500 });
  });

  it("throws nothing but ArbiterError when a field of a valid record is replaced", () => {
    const kind = fc.constantFrom(...RECORD_KINDS);
    fc.assert(
      fc.property(kind, fc.string(), fc.oneof(fc.jsonValue(), fc.anything()), (k, key, value) => {
        const example: Record<string, unknown> = { ...EXAMPLES[k] };
        const keys = Object.keys(example);
        const target = keys.includes(key) ? key : (keys[key.length % keys.length] ?? key);
        onlyArbiterErrors({ ...example, [target]: value });
        onlyArbiterErrors({ ...example, [key]: value });
      }),
      { numRuns: 500 },
    );
  });
});
