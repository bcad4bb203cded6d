// Streamable HTTP sessions at /mcp/NAME: one gateway and one upstream client per session, bound to the bearer credential that opened it.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ErrorCode, isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { ERROR_CODES } from "../../record/index.js";
import type { DecisionPoint } from "../decision-point/index.js";
import { REFUSED_BY_POLICY } from "./answers.js";
import type { Limits } from "./enforce.js";
import { McpGateway } from "./gateway.js";
import { OPEN_SESSION, SERVER_TYPE } from "./mapping.js";
import { upstreamSpec, type UpstreamConfig } from "./upstreams-file.js";

export interface HttpFrontOptions {
  point: DecisionPoint;
  /** The configured upstreams, read when a session starts (so `arbiter mcp add` needs no restart). */
  upstreams: () => Record<string, UpstreamConfig>;
  limits: Limits;
  log: (line: string) => void;
  /** A line a stdio upstream wrote to stderr (each session's upstream is a child of the server). */
  upstreamStderr?: (name: string, line: string) => void;
  maxSessions?: number;
  /** Most sessions one identity holds at once, whichever of its credentials opened them. */
  maxSessionsPerIdentity?: number;
  /** A session with no request for this long is closed, and its upstream stopped. */
  idleMs?: number;
}

interface Session {
  name: string;
  /** The identity that opened it, for the per-identity limit. */
  identity: string;
  credential: Buffer;
  transport: StreamableHTTPServerTransport;
  gateway: McpGateway;
  lastSeen: number;
}

const DEFAULT_MAX_SESSIONS = 64;
const DEFAULT_MAX_SESSIONS_PER_IDENTITY = 8;
const DEFAULT_IDLE_MS = 30 * 60_000;

function digest(credential: string): Buffer {
  return createHash("sha256").update(credential).digest();
}

/** A JSON-RPC error answered at the HTTP level, like the SDK transport's own (the request never reached a session). */
function answer(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }));
}

/**
 * Upstreams are started per session (a stdio upstream is spawned for each), so one agent's state,
 * crash or hung call never reaches another's, and closing a session stops exactly its upstream.
 */
export class McpHttpFront {
  private readonly options: HttpFrontOptions;
  private readonly sessions = new Map<string, Session>();
  /**
   * Sessions being opened (the upstream starting), by identity: counted with the open ones, so that
   * initialize requests sent all at once cannot each find room before any of them is registered.
   */
  private readonly opening = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;
  private closing = false;

  constructor(options: HttpFrontOptions) {
    this.options = options;
    const idle = options.idleMs ?? DEFAULT_IDLE_MS;
    this.sweeper = setInterval(() => this.sweep(idle), Math.max(1000, Math.floor(idle / 4)));
    this.sweeper.unref();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Serves one HTTP request for upstream `name`; `body` is the parsed JSON of a POST. */
  async handle(name: string, credential: string | undefined, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (credential === undefined) {
      answer(res, 401, REFUSED_BY_POLICY, "send the agent's credential as `Authorization: Bearer <api key or token>`", { "www-authenticate": 'Bearer realm="arbiter"' });
      return;
    }
    const sessionId = req.headers["mcp-session-id"];
    if (typeof sessionId === "string") {
      const session = this.sessions.get(sessionId);
      if (!session || session.name !== name) {
        // MCP Streamable HTTP: 404 tells the client to start a new session.
        answer(res, 404, ErrorCode.ConnectionClosed, `no MCP session ${sessionId} at /mcp/${name}; initialize a new one`);
        return;
      }
      if (!timingSafeEqual(session.credential, digest(credential))) {
        answer(res, 403, REFUSED_BY_POLICY, "this MCP session belongs to another credential");
        return;
      }
      session.lastSeen = Date.now();
      await session.transport.handleRequest(req, res, body);
      return;
    }
    await this.open(name, credential, req, res, body);
  }

  private async open(name: string, credential: string, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      answer(res, 400, ErrorCode.InvalidRequest, "Bad Request: without an mcp-session-id header, only an initialize request is accepted");
      return;
    }
    const config = this.options.upstreams()[name];
    if (!config) {
      answer(res, 404, ErrorCode.InvalidRequest, `no MCP upstream named ${name} is configured (arbiter mcp add)`);
      return;
    }
    const who = await this.options.point.visible({ credential }, []).catch((err: unknown) => ({ caller: { ok: false as const, reason: "DECISION_ERROR", message: err instanceof Error ? err.message : String(err) } }));
    if (!who.caller.ok) {
      answer(res, 401, REFUSED_BY_POLICY, `the credential was refused: ${who.caller.reason}: ${who.caller.message}`, { "www-authenticate": 'Bearer realm="arbiter", error="invalid_token"' });
      return;
    }
    const identity = who.caller.id;
    if (this.closing || this.sessions.size + this.openingCount() >= (this.options.maxSessions ?? DEFAULT_MAX_SESSIONS)) {
      answer(res, 503, ErrorCode.InternalError, `too many MCP sessions are open; close one or try again later`, { "retry-after": "10" });
      return;
    }
    const held = this.heldBy(identity);
    if (held >= (this.options.maxSessionsPerIdentity ?? DEFAULT_MAX_SESSIONS_PER_IDENTITY)) {
      await this.refuseOverLimit(name, credential, identity, held, res);
      return;
    }
    this.opening.set(identity, (this.opening.get(identity) ?? 0) + 1);
    try {
      await this.start(name, config, credential, identity, req, res, body);
    } finally {
      const left = (this.opening.get(identity) ?? 1) - 1;
      if (left > 0) this.opening.set(identity, left);
      else this.opening.delete(identity);
    }
  }

  private async start(name: string, config: UpstreamConfig, credential: string, identity: string, req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const id = randomUUID();
    let gateway: McpGateway;
    try {
      gateway = await McpGateway.open(upstreamSpec(config), {
        caller: () => ({ credential, server: name, pep: { id: `mcp-http:${name}`, kind: "mcp" }, ...(config.sensitivity ? { sensitivity: config.sensitivity } : {}), session: id }),
        point: this.options.point,
        limits: {
          ...this.options.limits,
          ...(config.approval_timeout !== undefined ? { approvalTimeoutMs: config.approval_timeout * 1000 } : {}),
          ...(config.call_timeout !== undefined ? { callTimeoutMs: config.call_timeout * 1000 } : {}),
        },
        log: this.options.log,
        ...(this.options.upstreamStderr ? { upstreamStderr: (line: string) => this.options.upstreamStderr?.(name, line) } : {}),
      });
    } catch (err) {
      answer(res, 502, ErrorCode.InternalError, `upstream ${name} could not be started: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    transport.onclose = () => void this.drop(id);
    this.sessions.set(id, { name, identity, credential: digest(credential), transport, gateway, lastSeen: Date.now() });
    await gateway.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private openingCount(): number {
    let count = 0;
    for (const n of this.opening.values()) count += n;
    return count;
  }

  private heldBy(identity: string): number {
    let count = this.opening.get(identity) ?? 0;
    for (const session of this.sessions.values()) if (session.identity === identity) count++;
    return count;
  }

  /** 429 with a problem body, and a recorded refusal: who was turned away, and why, is evidence like any other refusal. */
  private async refuseOverLimit(name: string, credential: string, identity: string, held: number, res: ServerResponse): Promise<void> {
    const note = `${identity} already holds ${held} MCP session${held === 1 ? "" : "s"}, the most one identity may hold at once (mcp.max_sessions_per_identity); close one (DELETE /mcp/${name} with its mcp-session-id) or let it idle out`;
    let decisionId: string | undefined;
    try {
      const refusal = await this.options.point.refuse({ subject: { credential }, action: OPEN_SESSION, resource: { type: SERVER_TYPE, id: name }, reason_code: "SESSION_LIMIT", note, pep: { id: `mcp-http:${name}`, kind: "mcp" } });
      decisionId = refusal.decision_id;
    } catch (err) {
      // Refusing is safe without a record; the log says it is missing.
      this.options.log(`arbiter mcp: the session-limit refusal of ${identity} was not recorded: ${err instanceof Error ? err.message : String(err)}`);
    }
    const problem = { type: "/problems/MCP_SESSION_LIMIT", title: ERROR_CODES.MCP_SESSION_LIMIT, status: 429, detail: note, code: "MCP_SESSION_LIMIT", reason_code: "SESSION_LIMIT", ...(decisionId !== undefined ? { decision_id: decisionId } : {}), instance: `/mcp/${name}` };
    res.writeHead(429, { "content-type": "application/problem+json", "retry-after": "10" }).end(JSON.stringify(problem));
  }

  private async drop(id: string): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    await session.gateway.close().catch((err: unknown) => this.options.log(`arbiter mcp: closing session ${id}: ${err instanceof Error ? err.message : String(err)}`));
  }

  private sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [id, session] of this.sessions) {
      // Closing the gateway closes the session's transport and open streams; drop() never rejects.
      if (session.lastSeen < cutoff) void this.drop(id);
    }
  }

  /** Ends every session: open streams are closed, enforcement records written, upstreams stopped. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }
}
