// OCSF API Activity events (class_uid 6003), one JSON object per line or a JSON array.
import type { IdentityType } from "../../record/index.js";
import { parseTraceparent, skip, traceIdOf, type EventOutcome, type Imported, type Position } from "../event.js";
import { objectAt, textAt, timeOf } from "../json-path.js";
import { isObject, type Importer } from "./importer.js";

const API_ACTIVITY = 6003;
const DENIED = /denied|unauthori[sz]ed|forbidden/i;

/** OCSF User.type_id: 1 User, 2 Admin, 3 System, 99 Other. */
function subjectType(typeId: unknown): IdentityType {
  if (typeId === 1 || typeId === 2) return "human";
  if (typeId === 3) return "workload";
  return "unknown";
}

/** status_id: 1 Success, 2 Failure; a failure is a denial when the response says so. */
function outcomeOf(event: Record<string, unknown>): EventOutcome {
  if (event.status_id === 1) return "allow";
  if (event.status_id !== 2) return "unknown";
  const code = objectAt(event, "api", "response")?.code;
  const said = [textAt(event, "api", "response", "error"), textAt(event, "api", "response", "message"), textAt(event, "status_detail"), textAt(event, "status_code")].join(" ");
  return code === 401 || code === 403 || DENIED.test(said) ? "deny" : "error";
}

/** HTTP headers an API Activity may carry (http_request.http_headers: [{name, value}]). */
function header(event: Record<string, unknown>, name: string): string | undefined {
  const headers = objectAt(event, "http_request")?.http_headers;
  if (!Array.isArray(headers)) return undefined;
  const found = (headers as unknown[]).find((h) => isObject(h) && typeof h.name === "string" && h.name.toLowerCase() === name);
  return isObject(found) ? textAt(found, "value") : undefined;
}

function eventOf(event: Record<string, unknown>, at: Position): Imported {
  if (event.class_uid !== API_ACTIVITY) return skip("wrong_format", `line ${at.line}: class_uid ${JSON.stringify(event.class_uid)} is not API Activity (6003)`);
  const timeMs = timeOf(event.time ?? event.time_dt);
  if (timeMs === undefined) return skip("invalid_time", `line ${at.line}: time is missing or not a time`);
  const user = objectAt(event, "actor", "user");
  const subjectId = textAt(user, "uid") ?? textAt(user, "name") ?? textAt(event, "actor", "app_name");
  const operation = textAt(event, "api", "operation");
  if (subjectId === undefined || operation === undefined) return skip("missing_field", `line ${at.line}: needs actor.user (uid or name) and api.operation`);
  const service = textAt(event, "api", "service", "name")?.replace(/\.amazonaws\.com$/, "");
  const resource = Array.isArray(event.resources) ? event.resources.find(isObject) : undefined;
  const resourceId = textAt(resource, "uid") ?? textAt(resource, "name") ?? service ?? operation;
  const resourceType = textAt(resource, "type");
  const credentialId = textAt(user, "credential_uid") ?? textAt(event, "actor", "session", "credential_uid");
  const trace = parseTraceparent(header(event, "traceparent"));
  const traceId = trace?.traceId ?? traceIdOf(textAt(event, "trace", "uid")) ?? traceIdOf(textAt(event, "metadata", "correlation_uid"));
  const decisionId = header(event, "x-arbiter-decision-id") ?? textAt(event, "unmapped", "x-arbiter-decision-id");
  const originalId = textAt(event, "metadata", "uid");
  return {
    kind: "event",
    event: {
      system: textAt(event, "metadata", "product", "name") ?? "ocsf",
      at,
      ...(originalId !== undefined ? { originalId } : {}),
      timeMs,
      subject: { id: subjectId, type: subjectType(user?.type_id), ...(credentialId !== undefined ? { credentialId } : {}) },
      action: service !== undefined ? `${service}:${operation}` : operation,
      resource: { id: resourceId, ...(resourceType !== undefined ? { type: resourceType } : {}) },
      outcome: outcomeOf(event),
      ...(decisionId !== undefined ? { decisionId } : {}),
      ...(traceId !== undefined ? { traceId } : {}),
      ...(trace !== undefined ? { spanId: trace.spanId } : {}),
    },
  };
}

export function ocsfImporter(): Importer {
  return {
    system: "ocsf",
    parse: (value, at) => [isObject(value) ? eventOf(value, at) : skip("wrong_format", `line ${at.line} is not a JSON object`)],
  };
}
