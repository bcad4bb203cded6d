// Generic JSON lines through a field mapping: application logs and access logs of services behind an enforcement point.
import { argsDigestSchema, IDENTITY_TYPES, type IdentityType, type JsonValue } from "../../record/index.js";
import { parseTraceparent, skip, traceIdOf, type EventOutcome, type Imported, type Position } from "../event.js";
import { textOf, timeOf } from "../json-path.js";
import { httpOutcome, isObject, type Importer } from "./importer.js";
import { compileMapping, type Mapping } from "./mapping.js";

const OUTCOMES = new Set<string>(["allow", "deny", "error", "unknown", "executed", "failed"]);
const RECORD_ID = /^[\x21-\x7e]{1,128}$/;

/** A number or numeric text is an HTTP status; true/false an allow/deny; otherwise one of the outcome words. */
function outcomeOf(value: unknown): EventOutcome {
  if (typeof value === "number") return httpOutcome(value);
  if (typeof value === "boolean") return value ? "allow" : "deny";
  if (typeof value !== "string") return "unknown";
  if (/^\d{3}$/.test(value)) return httpOutcome(Number(value));
  const word = value.toLowerCase();
  return OUTCOMES.has(word) ? (word as EventOutcome) : "unknown";
}

export function jsonlImporter(mapping: Mapping): Importer {
  const get = compileMapping(mapping);
  const system = mapping.system ?? "jsonl";
  const field = (name: keyof typeof get, value: unknown): unknown => get[name]?.(value);
  return {
    system,
    parse(value: unknown, at: Position): Imported[] {
      if (!isObject(value)) return [skip("wrong_format", `line ${at.line} is not a JSON object`)];
      const rawTime = field("time", value);
      const timeMs = timeOf(rawTime);
      if (timeMs === undefined) return [rawTime === undefined ? skip("missing_field", `line ${at.line}: no time field`) : skip("invalid_time", `line ${at.line}: time ${JSON.stringify(rawTime)} is not a time`)];
      const subject = textOf(field("subject", value));
      const action = textOf(field("action", value));
      const resource = textOf(field("resource", value));
      if (subject === undefined || action === undefined || resource === undefined) {
        const missing = [subject === undefined ? "subject" : "", action === undefined ? "action" : "", resource === undefined ? "resource" : ""].filter(Boolean);
        return [skip("missing_field", `line ${at.line}: no ${missing.join(", ")} (see the mapping's fields)`)];
      }
      const type = textOf(field("subject_type", value));
      const credentialId = textOf(field("credential", value));
      const resourceType = textOf(field("resource_type", value));
      const decisionId = textOf(field("decision_id", value));
      const trace = parseTraceparent(field("traceparent", value));
      const traceId = trace?.traceId ?? traceIdOf(field("trace_id", value));
      const spanId = trace?.spanId ?? textOf(field("span_id", value));
      const originalId = textOf(field("event_id", value));
      const args = field("args", value) as JsonValue | undefined;
      const argsDigest = textOf(field("args_digest", value));
      const grantId = textOf(field("grant_id", value));
      return [{
        kind: "event",
        event: {
          system,
          at,
          ...(originalId !== undefined ? { originalId } : {}),
          timeMs,
          subject: { id: subject, type: type !== undefined && (IDENTITY_TYPES as readonly string[]).includes(type) ? (type as IdentityType) : "unknown", ...(credentialId !== undefined ? { credentialId } : {}) },
          action,
          resource: { id: resource, ...(resourceType !== undefined ? { type: resourceType } : {}) },
          outcome: outcomeOf(field("outcome", value)),
          ...(decisionId !== undefined && RECORD_ID.test(decisionId) ? { decisionId } : {}),
          ...(traceId !== undefined ? { traceId } : {}),
          ...(spanId !== undefined && /^[0-9a-f]{16}$/.test(spanId) ? { spanId } : {}),
          ...(args !== undefined ? { args } : {}),
          ...(argsDigest !== undefined && argsDigestSchema.safeParse(argsDigest).success ? { argsDigest } : {}),
          ...(grantId !== undefined ? { grantId } : {}),
        },
      }];
    },
  };
}
