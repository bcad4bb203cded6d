// Which headers cross Arbiter's reverse proxy: hop-by-hop ones never (RFC 9110 §7.6.1), Arbiter's own only as Arbiter set them.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import type { UpstreamSpec } from "./routes-file.js";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"]);

/** Headers a client may not send through: what Arbiter tells the upstream, and what only a verifying listener may assert. */
function ownedByArbiter(name: string, certificateHeader: string | undefined): boolean {
  return name.startsWith("x-arbiter-") || name === "traceparent" || name === "tracestate" || name === certificateHeader || name.startsWith("x-forwarded-") || name === "forwarded" || name === "x-real-ip";
}

/** Names the Connection header lists are hop-by-hop too. */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  return new Set((value ?? "").split(",").map((n) => n.trim().toLowerCase()).filter(Boolean));
}

/** Which of the client's header lines the check sees: not Arbiter's own nor the certificate header. */
export function checkSees(certificateHeader: string | undefined): (name: string) => boolean {
  // The client's trace context is the check's to continue; upstream gets Arbiter's span instead.
  return (name) => name === "traceparent" || name === "tracestate" || !ownedByArbiter(name, certificateHeader);
}

export interface UpstreamHeaders {
  decisionId: string;
  subject?: string;
  traceparent: string;
  clientAddress: string;
  originalHost: string;
  bodyBytes: number;
  /** Ask for an unencoded response: a response to be masked must be read as JSON. */
  identity: boolean;
}

/** The request headers sent upstream: the client's end-to-end headers, then what Arbiter decided. */
export function upstreamRequestHeaders(rawHeaders: readonly string[], certificateHeader: string | undefined, extra: UpstreamHeaders, upstream: URL): OutgoingHttpHeaders {
  const pairs = pairsOf(rawHeaders);
  // Every Connection line counts (RFC 9110 §7.6.1 lists are combined), not only the last one.
  const listed = connectionListed({ connection: pairs.filter(([n]) => n === "connection").map(([, v]) => v).join(",") });
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of pairs) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || ownedByArbiter(name, certificateHeader) || name === "host" || name === "content-length" || name === "expect") continue;
    if (extra.identity && name === "accept-encoding") continue;
    const previous = out[name];
    out[name] = previous === undefined ? value : Array.isArray(previous) ? [...previous, value] : [String(previous), value];
  }
  out.host = upstream.host;
  out["x-arbiter-decision-id"] = extra.decisionId;
  if (extra.subject !== undefined) out["x-arbiter-subject"] = extra.subject;
  out.traceparent = extra.traceparent;
  out["x-forwarded-for"] = extra.clientAddress;
  out["x-forwarded-host"] = extra.originalHost;
  out["x-forwarded-proto"] = "http";
  if (extra.identity) out["accept-encoding"] = "identity";
  if (extra.bodyBytes > 0) out["content-length"] = String(extra.bodyBytes);
  return out;
}

function pairsOf(rawHeaders: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) pairs.push([(rawHeaders[i] as string).toLowerCase(), rawHeaders[i + 1] as string]);
  return pairs;
}

/** The upstream's response headers the client gets: end-to-end only, and the decision named. */
export function clientResponseHeaders(headers: IncomingHttpHeaders, decisionId: string, rewritten: boolean): OutgoingHttpHeaders {
  const listed = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name) || name.startsWith("x-arbiter-")) continue;
    // A masked body is a new body: its length and validators are the proxy's, not the upstream's.
    if (rewritten && (name === "content-length" || name === "etag" || name === "content-md5" || name === "content-encoding")) continue;
    out[name] = value;
  }
  out["x-arbiter-decision-id"] = decisionId;
  return out;
}

/** The upstream of a request: the longest prefix, one for this host before one for any host. */
export function upstreamFor(upstreams: readonly UpstreamSpec[], host: string, path: string): UpstreamSpec | undefined {
  let best: UpstreamSpec | undefined;
  for (const u of upstreams) {
    if (u.host !== undefined && u.host.replace(/:\d+$/, "") !== host) continue;
    if (!path.startsWith(u.prefix)) continue;
    if (best === undefined || u.prefix.length > best.prefix.length || (u.prefix.length === best.prefix.length && u.host !== undefined && best.host === undefined)) best = u;
  }
  return best;
}
