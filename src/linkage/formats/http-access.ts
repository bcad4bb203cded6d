// JSON access logs of the proxies that ask Arbiter before forwarding: nginx (the `arbiter_json` log_format
// of docs/http.md) and Caddy (its structured access log). Each proxied request links to its decision by
// the id the auth step answered; a request that reached an upstream without one is UNLINKED_ACTION.
import { skip, parseTraceparent, type EventOutcome, type Imported, type Position } from "../event.js";
import { objectAt, textAt, textOf, timeOf, valueAt } from "../json-path.js";
import { httpOutcome, isObject, type Importer } from "./importer.js";

const RECORD_ID = /^[\x21-\x7e]{1,128}$/;
/** Caddy 2.6 writes an unset placeholder as its own text (`{http.reverse_proxy.header.…}`): never an id. */
const PLACEHOLDER = /[{}]/;

/** The path without the query: a query may carry secrets and never names the resource. */
function pathOf(uri: string): string {
  const cut = uri.search(/[?#]/);
  return cut < 0 ? uri : uri.slice(0, cut);
}

function decisionIdOf(value: unknown): string | undefined {
  const text = textOf(Array.isArray(value) ? value.find((v) => typeof v === "string" && v.trim() !== "" && !PLACEHOLDER.test(v)) : value);
  return text !== undefined && RECORD_ID.test(text) && !PLACEHOLDER.test(text) ? text : undefined;
}

interface Request {
  timeMs: number;
  method: string;
  uri: string;
  host?: string;
  status: number;
  /** Whether the request was handed to an upstream; undefined when the log does not say. */
  forwarded?: boolean;
  requestId?: string;
  decisionId?: string;
  subject?: string;
  traceparent?: unknown;
}

/**
 * A request the proxy answered itself (the auth step refused it, or the proxy rejected it as
 * malformed) never reached the service: it is refused by the source, not an action to explain.
 */
function outcomeOf(r: Request): EventOutcome {
  if (r.forwarded === false) return "deny";
  return httpOutcome(r.status);
}

function eventOf(system: string, r: Request, at: Position): Imported {
  const path = pathOf(r.uri);
  const host = (r.host ?? "").toLowerCase().replace(/:\d+$/, "");
  const trace = parseTraceparent(r.traceparent);
  return {
    kind: "event",
    event: {
      system,
      at,
      ...(r.requestId !== undefined ? { originalId: r.requestId } : {}),
      timeMs: r.timeMs,
      // Who called is what Arbiter resolved (the auth step passes it on); a bypass names nobody.
      subject: { id: r.subject ?? "anonymous", type: "unknown" },
      action: `${r.method} ${path}`,
      resource: { id: `${host}${path}`, type: "HttpPath" },
      outcome: outcomeOf(r),
      ...(r.decisionId !== undefined ? { decisionId: r.decisionId } : {}),
      ...(trace !== undefined ? { traceId: trace.traceId, spanId: trace.spanId } : {}),
    },
  };
}

function statusOf(value: unknown): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && /^\d{3}$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** nginx writes `-` for an empty variable in some places and `""` in others (escape=json). */
function nginxText(value: unknown): string | undefined {
  const text = textOf(value);
  return text === undefined || text === "-" ? undefined : text;
}

/** Fields of docs/http.md's `arbiter_json` log_format, and the nginx variable names for the same things. */
function nginxRequest(line: Record<string, unknown>, at: Position): Request | Imported {
  const first = (...names: string[]): unknown => names.map((n) => line[n]).find((v) => nginxText(v) !== undefined);
  const timeMs = timeOf(first("time", "time_iso8601", "msec"));
  if (timeMs === undefined) return skip(first("time", "time_iso8601", "msec") === undefined ? "missing_field" : "invalid_time", `line ${at.line}: no ISO 8601 time (log $time_iso8601 as "time")`);
  const method = nginxText(first("method", "request_method"));
  const uri = nginxText(first("uri", "request_uri"));
  const status = statusOf(first("status"));
  const upstream = first("upstream_status", "upstream_addr");
  // A request line nginx could not parse is refused (400) before any location: nothing was asked or forwarded.
  if (uri === undefined && status !== undefined && status >= 400 && nginxText(upstream) === undefined) return { kind: "ignore", reason: "nginx refused a malformed request itself" };
  if (method === undefined || uri === undefined || status === undefined) return skip("missing_field", `line ${at.line}: an nginx access log line needs method, uri and status (see the arbiter_json log_format)`);
  const decisionId = decisionIdOf(nginxText(first("decision_id", "arbiter_decision", "upstream_http_x_arbiter_decision_id", "http_x_arbiter_decision_id")));
  const requestId = nginxText(first("request_id"));
  const subject = nginxText(first("subject", "arbiter_subject"));
  const host = nginxText(first("host", "server_name"));
  return {
    timeMs,
    method,
    uri,
    status,
    // Logged as "" or "-" when nginx answered itself; absent from formats that do not log it.
    ...("upstream_status" in line || "upstream_addr" in line ? { forwarded: nginxText(upstream) !== undefined } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(decisionId !== undefined ? { decisionId } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(host !== undefined ? { host } : {}),
    traceparent: nginxText(first("traceparent", "arbiter_traceparent")),
  };
}

export function nginxImporter(): Importer {
  return {
    system: "nginx",
    parse(value, at) {
      if (!isObject(value)) return [skip("wrong_format", `line ${at.line} is not a JSON object (use log_format ... escape=json)`)];
      const r = nginxRequest(value, at);
      return ["kind" in r ? r : eventOf("nginx", r, at)];
    },
  };
}

/** A header of Caddy's log: names canonical (`X-Arbiter-Decision-Id`), values arrays. */
function caddyHeader(headers: Record<string, unknown> | undefined, name: string): unknown {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/**
 * The decision comes from the response headers only: Caddy logs the request headers as the client
 * sent them (a forged X-Arbiter-Decision-Id included), while the response carries what Arbiter
 * answered (a refusal as is; an allow through the shipped Caddyfile's `header` after forward_auth).
 */
function caddyRequest(entry: Record<string, unknown>, at: Position): Request | Imported {
  const request = objectAt(entry, "request");
  const timeMs = timeOf(entry.ts);
  if (timeMs === undefined) return skip(entry.ts === undefined ? "missing_field" : "invalid_time", `line ${at.line}: ts is not a time`);
  const method = textAt(request, "method");
  const uri = textAt(request, "uri");
  const status = statusOf(entry.status);
  if (method === undefined || uri === undefined || status === undefined) return skip("missing_field", `line ${at.line}: a Caddy access log entry needs request.method, request.uri and status`);
  const response = objectAt(entry, "resp_headers");
  const decisionId = decisionIdOf(caddyHeader(response, "x-arbiter-decision-id"));
  const subject = decisionIdOf(caddyHeader(response, "x-arbiter-subject"));
  const host = textAt(request, "host");
  const requestId = textOf(valueAt(caddyHeader(response, "x-request-id"), [0])) ?? textAt(entry, "request_id");
  return {
    timeMs,
    method,
    uri,
    status,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(decisionId !== undefined ? { decisionId } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(host !== undefined ? { host } : {}),
    traceparent: valueAt(caddyHeader(response, "traceparent"), [0]),
  };
}

export function caddyImporter(): Importer {
  return {
    system: "caddy",
    parse(value, at) {
      if (!isObject(value)) return [skip("wrong_format", `line ${at.line} is not a JSON object (use log { format json })`)];
      const logger = textAt(value, "logger");
      if (logger !== undefined && !logger.startsWith("http.log.access")) return [{ kind: "ignore", reason: `caddy ${logger} log line` }];
      const r = caddyRequest(value, at);
      return ["kind" in r ? r : eventOf("caddy", r, at)];
    },
  };
}
