// OPA decision logs (the events OPA's decision_logs plugin uploads, or prints one per line with console: true).
import type { DecisionReasonCode, Outcome } from "../../record/index.js";
import { parseTraceparent, skip, traceIdOf, type Imported, type Position } from "../event.js";
import { objectAt, textAt, textOf, timeOf, valueAt } from "../json-path.js";
import { isObject, type Importer } from "./importer.js";

/**
 * OPA answers with whatever the queried rule yields. A boolean, or an object with `allow`, is a
 * decision; an undefined result means no rule matched (OPA's default deny); `deny`/`violations`
 * with entries mean a forbidding rule matched.
 */
function verdictOf(event: Record<string, unknown>): { outcome: Outcome; reason: DecisionReasonCode } | undefined {
  if (event.error !== undefined && event.error !== null) return { outcome: "error", reason: "DECISION_ERROR" };
  const result = event.result;
  if (result === undefined) return { outcome: "deny", reason: "NO_MATCHING_PERMIT" };
  const allow = isObject(result) ? (result.allow ?? result.allowed) : result;
  const forbidden = isObject(result) && [result.deny, result.violations, result.reasons].some((v) => Array.isArray(v) && v.length > 0);
  if (allow === true || allow === "true") return forbidden ? { outcome: "deny", reason: "POLICY_FORBID" } : { outcome: "allow", reason: "POLICY_PERMIT" };
  if (allow === false || allow === "false") return { outcome: "deny", reason: forbidden ? "POLICY_FORBID" : "NO_MATCHING_PERMIT" };
  return undefined;
}

/** Who asked, by the input conventions OPA's docs use (subject, user, principal; Envoy's source principal). */
function subjectOf(input: unknown): string | undefined {
  for (const key of ["subject", "user", "principal"]) {
    const value = valueAt(input, [key]);
    const id = textOf(value) ?? textAt(value, "id") ?? textAt(value, "name");
    if (id !== undefined) return id;
  }
  return textAt(input, "attributes", "source", "principal");
}

function httpOf(input: unknown): { method?: string; path?: string; headers?: Record<string, unknown> } {
  const http = objectAt(input, "attributes", "request", "http");
  const path = textAt(http, "path") ?? textAt(input, "path") ?? (Array.isArray(valueAt(input, ["path"])) ? `/${(valueAt(input, ["path"]) as unknown[]).join("/")}` : undefined);
  const method = textAt(http, "method") ?? textAt(input, "method");
  const headers = objectAt(http, "headers") ?? objectAt(input, "headers");
  return { ...(method !== undefined ? { method } : {}), ...(path !== undefined ? { path: path.split("?")[0] ?? path } : {}), ...(headers !== undefined ? { headers } : {}) };
}

function resourceOf(input: unknown, http: { path?: string }, policyPath: string): { id: string; type?: string } {
  const resource = valueAt(input, ["resource"]);
  const id = textOf(resource) ?? textAt(resource, "id");
  if (id !== undefined) {
    const type = textAt(resource, "type") ?? textAt(resource, "kind");
    return { id, ...(type !== undefined ? { type } : {}) };
  }
  return { id: http.path ?? policyPath };
}

function policyOf(event: Record<string, unknown>, path: string): { set_version: string; determining: string[]; bundle_revision?: string } {
  const bundles = objectAt(event, "bundles") ?? {};
  const revisions = Object.entries(bundles).map(([name, b]) => [name, textAt(b, "revision") ?? ""] as const);
  const revision = revisions[0]?.[1] || textAt(event, "revision");
  const setVersion = revisions.length ? revisions.map(([name, rev]) => `${name}@${rev || "?"}`).join(",") : (revision ?? "opa");
  return { set_version: setVersion, determining: [path], ...(revision ? { bundle_revision: revision } : {}) };
}

function decisionOf(event: Record<string, unknown>, at: Position): Imported {
  const decisionId = textAt(event, "decision_id");
  if (decisionId === undefined) {
    return textAt(event, "msg") !== undefined ? { kind: "ignore", reason: "opa server log line" } : skip("wrong_format", `line ${at.line} has no decision_id: not an OPA decision log event`);
  }
  const timeMs = timeOf(event.timestamp ?? event.time);
  if (timeMs === undefined) return skip("invalid_time", `line ${at.line}: timestamp is missing or not an RFC 3339 time`);
  const verdict = verdictOf(event);
  if (verdict === undefined) return skip("wrong_format", `line ${at.line}: result ${JSON.stringify(event.result).slice(0, 80)} is neither a boolean nor an object with allow`);
  const input = event.input;
  const http = httpOf(input);
  const path = textAt(event, "path") ?? textAt(event, "query") ?? "data";
  const action = textAt(input, "action") ?? textAt(input, "action", "name") ?? (http.method !== undefined ? `${http.method}${http.path !== undefined ? ` ${http.path}` : ""}` : path);
  const trace = parseTraceparent(textAt(http.headers, "traceparent"));
  const traceId = traceIdOf(textAt(event, "trace_id")) ?? trace?.traceId;
  const spanId = textAt(event, "span_id") ?? trace?.spanId;
  return {
    kind: "decision",
    decision: {
      engine: "opa",
      at,
      sourceId: decisionId,
      originalId: decisionId,
      timeMs,
      subject: { id: subjectOf(input) ?? textAt(event, "requested_by") ?? "unknown" },
      action,
      resource: resourceOf(input, http, path),
      ...verdict,
      policy: policyOf(event, path),
      ...(traceId !== undefined ? { traceId } : {}),
      ...(spanId !== undefined && /^[0-9a-f]{16}$/.test(spanId) ? { spanId } : {}),
    },
  };
}

export function opaImporter(): Importer {
  return {
    system: "opa",
    parse: (value, at) => [isObject(value) ? decisionOf(value, at) : skip("wrong_format", `line ${at.line} is not a JSON object`)],
  };
}
