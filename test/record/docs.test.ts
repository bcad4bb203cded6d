// Keeps docs/reason-codes.md and docs/record.md true to the code: every code, every field, every example.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  RECORD_KINDS,
  REASON_CODES,
  canonicalBytes,
  decodeRecord,
  prepareRecord,
  recordInputSchema,
  storedRecordSchema,
  type ReasonCode,
} from "../../src/record/index.js";

const read = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8");

/** Table rows of one section, as code → cells after the code (backticks removed). */
function rowsOf(section: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Z][A-Z_]*)` \|(.*)\|$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    rows.set(m[1], m[2].split(" | ").map((cell) => cell.trim().replace(/^`|`$/g, "")));
  }
  return rows;
}

function sectionOf(doc: string, heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, `heading "${heading}"`).toBeGreaterThanOrEqual(0);
  const level = heading.split(" ")[0] ?? "#";
  const rest = doc.slice(start + heading.length + 2);
  const next = rest.search(new RegExp(`\\n#{1,${level.length}} `));
  return next === -1 ? rest : rest.slice(0, next);
}

describe("docs/reason-codes.md", () => {
  const doc = read("reason-codes.md");
  const decisions = rowsOf(sectionOf(doc, "### Decision reason codes"));
  const findings = rowsOf(sectionOf(doc, "### Findings"));
  const errors = rowsOf(sectionOf(doc, "## Error codes"));

  it.each(Object.keys(REASON_CODES) as ReasonCode[])("documents %s with its meaning, outcome and control", (code) => {
    const info = REASON_CODES[code];
    if (info.finding) expect(findings.get(code)).toEqual([info.meaning, info.control]);
    else expect(decisions.get(code)).toEqual([info.meaning, info.outcome, info.control]);
  });

  it.each(Object.entries(ERROR_CODES))("documents error code %s", (code, meaning) => {
    expect(errors.get(code)).toEqual([meaning]);
  });

  it("lists no code the tables do not know", () => {
    const known = new Set([...Object.keys(REASON_CODES), ...Object.keys(ERROR_CODES)]);
    const listed = [...decisions.keys(), ...findings.keys(), ...errors.keys()];
    expect(listed.filter((code) => !known.has(code))).toEqual([]);
    expect(listed).toHaveLength(Object.keys(REASON_CODES).length + Object.keys(ERROR_CODES).length);
  });

  it("gives no name to both a reason code and an error code: an agent's refusal carries either", () => {
    expect(Object.keys(ERROR_CODES).filter((code) => code in REASON_CODES)).toEqual([]);
  });
});

describe("docs/record.md", () => {
  const doc = read("record.md");
  const envelope = new Set(["v", "kind", "id", "time", "correlation", "commitments", "attributes"]);

  it.each(RECORD_KINDS)("documents every field of %s", (kind) => {
    const option = storedRecordSchema.options.find((o) => o.shape.kind.value === kind);
    const section = sectionOf(doc, `### ${kind}`);
    const fields = Object.keys(option?.shape ?? {}).filter((f) => !envelope.has(f));
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) expect(section, `${kind}.${field}`).toContain(`| \`${field}\` |`);
  });

  it("documents every envelope field", () => {
    const section = sectionOf(doc, "## Envelope: fields of every kind");
    for (const field of [...envelope, "sensitive"]) expect(section).toContain(`| \`${field}\` |`);
    expect(Object.keys(recordInputSchema.options[0].shape)).toContain("sensitive");
  });

  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => JSON.parse(m[1] ?? "") as Record<string, unknown>);

  it("shows an example of every kind", () => {
    expect(new Set(blocks.map((b) => b.kind))).toEqual(new Set(RECORD_KINDS));
  });

  it.each(blocks.map((b, i) => [i, b.kind, b] as const))("example %i (%s) is a valid record", (_, __, block) => {
    if ("v" in block) expect(decodeRecord(canonicalBytes(block))).toEqual(block);
    else expect(prepareRecord(block).record.kind).toBe(block.kind);
  });
});
