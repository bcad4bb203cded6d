// The `link` record's leaf, built without the generic schema pass: checked field by field, then RFC 8785 encoded.
import { ArbiterError, prepareRecord, RECORD_VERSION, type PreparedRecord, type StoredRecord } from "../record/index.js";
import type { LinkEntry } from "./records.js";

/**
 * zod's parse of a 64-link record costs ≈ 830 µs and the generic canonical encoder ≈ 160 µs
 * (measured); JSON.stringify of the same record in key order ≈ 25 µs. Every link entry is built by this
 * capability from normalized events, so these checks restate the schema's constraints, stricter
 * where that is simpler (times must already be in stored form); test/linkage/link-leaf.test.ts
 * checks that whatever passes here the schema accepts, with the same bytes. Anything else goes
 * through prepareRecord, which normalizes it or refuses it with its usual message.
 */
const NORMAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const RECORD_ID = /^[\x21-\x7e]{1,128}$/;
const OUTCOMES = new Set(["allow", "deny", "error", "unknown", "executed", "failed"]);
const TRACE_ID = /^[0-9a-f]{32}$/;
const ZERO_TRACE = "0".repeat(32);
const KEYS = new Set(["decision_id", "trace_id", "credential", "subject_action_resource"]);

const text = (value: unknown): boolean => typeof value === "string" && value.length > 0;

/** The stored timestamp form, and a real date (Date.parse would roll 2026-02-30 over to March). */
function isNormalTime(value: string): boolean {
  if (!NORMAL_TIME.test(value)) return false;
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value;
}

export function linkEntryValid(e: LinkEntry): boolean {
  return (
    Number.isSafeInteger(e.line) && e.line >= 1 &&
    (e.event_id === undefined || text(e.event_id)) &&
    typeof e.time === "string" && isNormalTime(e.time) &&
    text(e.subject) && text(e.action) && text(e.resource) &&
    OUTCOMES.has(e.outcome) && RECORD_ID.test(e.decision_id) && KEYS.has(e.key) &&
    typeof e.confidence === "number" && e.confidence >= 0 && e.confidence <= 1 &&
    (e.trace_id === undefined || (TRACE_ID.test(e.trace_id) && e.trace_id !== ZERO_TRACE))
  );
}

export function prepareLinkRecord(input: { id: string; time: string; run_id: string; source: { system: string; file: string }; links: readonly LinkEntry[] }): PreparedRecord {
  const fast =
    RECORD_ID.test(input.id) && isNormalTime(input.time) && text(input.run_id) && text(input.source.system) && text(input.source.file) &&
    input.links.length >= 1 && input.links.length <= 256 && input.links.every(linkEntryValid);
  if (!fast) return prepareRecord({ kind: "link", ...input });
  // RFC 8785 §3.2: members sorted by name; strings and numbers are written exactly as JSON.stringify
  // writes them, so objects built with their keys in sorted order stringify to the canonical form.
  const links = input.links.map((e) => ({
    action: e.action,
    confidence: e.confidence,
    decision_id: e.decision_id,
    ...(e.event_id !== undefined ? { event_id: e.event_id } : {}),
    key: e.key,
    line: e.line,
    outcome: e.outcome,
    resource: e.resource,
    subject: e.subject,
    time: e.time,
    ...(e.trace_id !== undefined ? { trace_id: e.trace_id } : {}),
  }));
  const record = { id: input.id, kind: "link" as const, links, run_id: input.run_id, source: { file: input.source.file, system: input.source.system }, time: input.time, v: RECORD_VERSION };
  const bytes = Buffer.from(JSON.stringify(record), "utf8");
  if (bytes.length > 65536) throw new ArbiterError("RECORD_TOO_LARGE", `link record of ${bytes.length} bytes exceeds the leaf limit`);
  return { record: record as unknown as StoredRecord, bytes, raw: [] };
}
