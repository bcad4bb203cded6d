// Arbiter's own reverse proxy: the request is checked like any forward-auth check, and only an allow is
// forwarded, with the decision's obligations applied (masking a JSON response needs this proxy: a
// forward-auth proxy never shows Arbiter the response). The response streams through unless it must be
// masked; every forwarded request gets an enforcement record (upstream status, bytes, masked counts, time).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { EnforcementReport } from "../../decide/index.js";
import type { Pep } from "../../record/index.js";
import { MaskTally, isEmpty, maskJson, type MaskSpec } from "../masking/index.js";
import type { CheckResult, HttpEnforcer } from "./check.js";
import { HeaderView } from "./headers.js";
import { originalRequest, type OriginalResult } from "./original.js";
import type { UpstreamSpec } from "./routes-file.js";
import { checkSees, clientResponseHeaders, upstreamFor, upstreamRequestHeaders } from "./proxy-headers.js";

/** The enforcement point the proxy's decisions and records name. */
export const PROXY_PEP: Pep = { id: "arbiter-proxy", kind: "http" };

export interface ProxyLimits {
  /** Largest request body read (it is read whole before deciding: a route may decide on it, and a refused request must not reach the upstream in part). */
  bodyBytes: number;
  /** Largest total of request header lines. */
  headerBytes: number;
  /** Longest the upstream may take, from sending the request to the last byte of the response. */
  timeoutMs: number;
  /** Largest JSON response read to be masked. */
  maskBytes: number;
}

interface Refusal {
  problem: string;
  /** 413 or 431 for a size limit; the recorded refusal is REQUEST_REJECTED either way. */
  status?: number;
}

const problemType = "application/problem+json";

function headerBytesOf(raw: readonly string[]): number {
  let n = 0;
  for (const part of raw) n += Buffer.byteLength(part, "latin1") + 2;
  return n;
}

const NO_BODY = Buffer.alloc(0);

/** Reads the body up to `limit` bytes; past it, stops and says so (the connection is closed after the answer). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | Refusal> {
  const length = req.headers["content-length"];
  // RFC 9112 §6.3: without Content-Length or Transfer-Encoding a request has no body. Most API calls
  // (GET) have none; not iterating the stream for them saved ≈ 1% of the proxy's main-thread time.
  if (length === undefined && req.headers["transfer-encoding"] === undefined) return NO_BODY;
  const declared = Number(length ?? "0");
  if (Number.isFinite(declared) && declared > limit) return { problem: `the request body is ${declared} bytes, more than ${limit}`, status: 413 };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { problem: `the request body is more than ${limit} bytes`, status: 413 };
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function sendProblem(res: ServerResponse, status: number, headers: Record<string, string>, body: Record<string, unknown>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, "content-type": problemType }).end(JSON.stringify(body));
}

export class ReverseProxy {
  private readonly httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 512 });
  private readonly httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 512 });

  constructor(
    private readonly http: HttpEnforcer,
    private readonly limits: ProxyLimits,
    private readonly log: (line: string) => void,
  ) {}

  /** Requests being checked or forwarded: each until its answer is over and its enforcement record submitted. */
  private readonly inflight = new Map<ServerResponse, Promise<void>>();
  private stopping = false;

  handle(req: IncomingMessage, res: ServerResponse): void {
    // Once stopping, the connection is not kept for another request.
    if (this.stopping) res.shouldKeepAlive = false;
    const served = this.serve(req, res).catch((err: unknown) => {
      this.log(`arbiter proxy: ${err instanceof Error ? err.message : String(err)}`);
      sendProblem(res, 502, {}, { title: "The request could not be forwarded", status: 502 });
    });
    // 'close' follows 'finish', where the enforcement record was submitted (or the connection's end, where a failed one was).
    const over = Promise.all([served, new Promise((resolve) => res.once("close", resolve))]).then(() => undefined);
    this.inflight.set(res, over);
    void over.finally(() => this.inflight.delete(res));
  }

  /**
   * Stopping: no connection is kept alive past its current answer, and this resolves once every request
   * in flight is over (answered, its enforcement record submitted) or `ms` have passed; false if some were not.
   */
  async settle(ms: number): Promise<boolean> {
    this.stopping = true;
    for (const res of this.inflight.keys()) if (!res.headersSent) res.shouldKeepAlive = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    try {
      while (this.inflight.size > 0) if ((await Promise.race([Promise.allSettled([...this.inflight.values()]).then(() => true), timeout])) === false) return false;
      return true;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const table = this.http.routes.current();
    const certificateHeader = table.callers.client_certificates?.header;
    const method = req.method ?? "";
    const target = req.url ?? "";
    const seen = HeaderView.fromRaw(req.rawHeaders, checkSees(certificateHeader));
    const hosts = seen.all("host");
    let refusal: Refusal | undefined;
    const headerBytes = headerBytesOf(req.rawHeaders);
    if (headerBytes > this.limits.headerBytes) refusal = { problem: `the request headers are ${headerBytes} bytes, more than ${this.limits.headerBytes}`, status: 431 };
    else if (hosts.length !== 1) refusal = { problem: hosts.length === 0 ? "the request has no Host header" : "the request has more than one Host header" };
    let body: Buffer | undefined;
    if (refusal === undefined) {
      const read = await readBody(req, this.limits.bodyBytes);
      if (Buffer.isBuffer(read)) body = read;
      else refusal = read;
    }
    let original: OriginalResult = refusal
      ? { ok: false, problem: refusal.problem, method, target }
      : originalRequest(HeaderView.fromPairs([["x-forwarded-method", method], ["x-forwarded-uri", target], ["x-forwarded-host", hosts[0] as string]]), method, undefined, undefined);
    const upstream = original.ok ? upstreamFor(table.upstreams, original.original.host, target.split("?")[0] ?? "") : undefined;
    if (original.ok && upstream === undefined) {
      refusal = { problem: `no upstream in the routes file serves ${original.original.host}${(target.split("?")[0] ?? "").slice(0, 256)}` };
      original = { ok: false, problem: refusal.problem, method, target };
    }
    const result = await this.http.check({ pep: PROXY_PEP, original, headers: seen, ...(body && body.length > 0 ? { body } : {}), canMask: true });
    if (result.status >= 300 || result.decision === undefined || upstream === undefined || !original.ok) {
      const status = refusal?.status !== undefined && result.status === 403 ? refusal.status : result.status;
      // A body left unread would be taken for the next request on this connection.
      if (refusal?.status === 413) res.shouldKeepAlive = false;
      sendProblem(res, status, result.headers, { ...result.body, status });
      return;
    }
    this.forward(req, res, result, upstreamUrl(upstream), original.original.host, body ?? NO_BODY, certificateHeader);
  }

  private forward(req: IncomingMessage, res: ServerResponse, result: CheckResult, upstream: URL, host: string, body: Buffer, certificateHeader: string | undefined): void {
    const decision = result.decision as NonNullable<CheckResult["decision"]>;
    const decisionId = decision.decision_id;
    const started = performance.now();
    const payload = result.mask?.payload;
    const maskPayload = payload !== undefined && !isEmpty(payload);
    const tally = new MaskTally();
    const report = (status: EnforcementReport["status"], upstreamFacts: NonNullable<EnforcementReport["upstream"]>): void => {
      const masked = tally.summary();
      this.http.report(decisionId, { status, pep: PROXY_PEP, upstream: upstreamFacts, ...(masked ? { masked } : {}), duration_ms: Math.round((performance.now() - started) * 10) / 10 });
    };
    const refuse = (status: number, title: string, error: string, recorded: EnforcementReport["status"], upstreamStatus?: number): void => {
      report(recorded, { error, ...(upstreamStatus !== undefined ? { status: upstreamStatus } : {}) });
      sendProblem(res, status, { "x-arbiter-decision-id": decisionId }, { title, status, detail: error, decision_id: decisionId });
    };

    // The client left while the request was being decided (or the server is stopping and cut it): the
    // upstream must not act on a request nobody waits for, and the decision gets its record of that.
    if (res.destroyed) return report("failed", { error: "the client closed the connection before the request was forwarded" });
    const args = result.mask?.arguments;
    let sent = body;
    if (args !== undefined && !isEmpty(args) && body.length > 0) {
      const masked = maskBody(body, args, tally);
      if (masked === undefined) return refuse(403, "The request body must be masked and is not JSON", "the request body must be masked and is not JSON", "blocked");
      sent = masked;
    }
    const base = upstream.pathname.replace(/\/$/, "");
    const options = {
      protocol: upstream.protocol,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: `${base}${req.url ?? "/"}`,
      agent: upstream.protocol === "https:" ? this.httpsAgent : this.httpAgent,
      headers: upstreamRequestHeaders(req.rawHeaders, certificateHeader, { decisionId, ...(result.headers["x-arbiter-subject"] ? { subject: result.headers["x-arbiter-subject"] } : {}), traceparent: result.headers.traceparent ?? "", clientAddress: req.socket.remoteAddress ?? "", originalHost: host, bodyBytes: sent.length, identity: maskPayload }, upstream),
    };
    const outgoing = (upstream.protocol === "https:" ? httpsRequest : httpRequest)(options);
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      return true;
    };
    const timer = setTimeout(() => {
      if (!settle()) return;
      outgoing.destroy();
      refuse(504, "The upstream did not answer in time", `no complete answer within ${this.limits.timeoutMs} ms`, "failed", res.headersSent ? res.statusCode : undefined);
    }, this.limits.timeoutMs);
    res.once("close", () => {
      if (res.writableFinished || !settle()) return;
      outgoing.destroy();
      report("failed", { error: "the client closed the connection before the answer was complete" });
    });
    outgoing.once("error", (err) => {
      if (!settle()) return;
      refuse(502, "The upstream could not be reached", `upstream error: ${err.message}`.slice(0, 256), "failed");
    });
    outgoing.once("response", (answer: IncomingMessage) => {
      const status = answer.statusCode ?? 502;
      if (maskPayload) return void this.masked(answer, res, payload, tally, decisionId, status, settle, report, refuse);
      res.writeHead(status, clientResponseHeaders(answer.headers, decisionId, false));
      let bytes = 0;
      answer.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      answer.once("end", () => {
        res.once("finish", () => {
          if (settle()) report(status >= 500 ? "failed" : "executed", { status, bytes });
        });
      });
      answer.once("error", () => {
        if (settle()) report("failed", { status, bytes, error: "the upstream response was cut off" });
        res.destroy();
      });
      answer.pipe(res);
    });
    outgoing.end(sent);
  }

  /** A response under a mask obligation: read whole (bounded), masked as JSON, then sent. Anything that cannot be masked is not passed on. */
  private async masked(answer: IncomingMessage, res: ServerResponse, spec: MaskSpec, tally: MaskTally, decisionId: string, status: number, settle: () => boolean, report: (s: EnforcementReport["status"], u: NonNullable<EnforcementReport["upstream"]>) => void, refuse: (status: number, title: string, error: string, recorded: EnforcementReport["status"], upstreamStatus?: number) => void): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of answer as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.limits.maskBytes) {
          answer.destroy();
          if (settle()) refuse(502, "The upstream response cannot be masked", `the response is more than ${this.limits.maskBytes} bytes, the most read for masking`, "blocked", status);
          return;
        }
        chunks.push(chunk);
      }
    } catch {
      if (settle()) refuse(502, "The upstream response was cut off", "the upstream response was cut off", "failed", status);
      return;
    }
    const type = String(answer.headers["content-type"] ?? "");
    const encoded = answer.headers["content-encoding"] !== undefined && answer.headers["content-encoding"] !== "identity";
    const text = Buffer.concat(chunks, size);
    let out: Buffer | undefined;
    if (size === 0) out = text;
    else if (/\bjson\b/i.test(type) && !encoded) out = maskBody(text, spec, tally);
    if (out === undefined) {
      if (settle()) refuse(502, "The upstream response cannot be masked", `a response that must be masked is not JSON (${type.slice(0, 64) || "no content-type"}${encoded ? ", encoded" : ""})`, "blocked", status);
      return;
    }
    if (!settle()) return;
    const headers = clientResponseHeaders(answer.headers, decisionId, true);
    headers["content-length"] = String(out.length);
    res.writeHead(status, headers).end(out, () => report(status >= 500 ? "failed" : "executed", { status, bytes: out.length }));
  }
}

const parsedUpstreams = new WeakMap<UpstreamSpec, URL>();

/** The upstream's URL, parsed once per routes table (a reload makes new specs). */
function upstreamUrl(spec: UpstreamSpec): URL {
  let url = parsedUpstreams.get(spec);
  if (!url) parsedUpstreams.set(spec, (url = new URL(spec.url)));
  return url;
}

/** A JSON body masked in place and written again, or undefined when it is not JSON. */
function maskBody(body: Buffer, spec: MaskSpec, tally: MaskTally): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  return Buffer.from(JSON.stringify(maskJson(parsed, spec, tally, "$")));
}
