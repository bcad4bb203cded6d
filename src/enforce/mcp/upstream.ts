// One upstream MCP server (a spawned stdio command or a Streamable HTTP URL) behind a client that reconnects after a crash.
import { createInterface } from "node:readline";
import type { PassThrough } from "node:stream";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { RequestOptions } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  ListToolsResultSchema,
  ResultSchema,
  type Implementation,
  type Notification,
  type Result,
  type ServerCapabilities,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { sessionScopedFetch } from "./session-fetch.js";

export type UpstreamSpec =
  | { kind: "stdio"; command: string; args: string[]; env?: Record<string, string>; cwd?: string }
  | { kind: "http"; url: string; headers?: Record<string, string> };

export interface UpstreamOptions {
  /** Upstream notifications (list changes, log messages) for the agent. */
  onNotification?: (notification: Notification) => void;
  /** How long starting and initialising the upstream may take. */
  connectTimeoutMs?: number;
  /** Each line a stdio upstream writes to stderr; without it, stderr is the gateway's own. */
  onStderr?: (line: string) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 60_000;
const CLIENT_INFO: Implementation = { name: "arbiter-mcp-gateway", version: "0.1.0" };

export class Upstream {
  readonly spec: UpstreamSpec;
  private readonly options: UpstreamOptions;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private closed = false;
  private first: { capabilities: ServerCapabilities; info: Implementation; instructions: string | undefined } | undefined;
  private tools: Map<string, Tool> | undefined;
  /** The whole tool list was read since the upstream last said it changed. */
  private complete = false;
  /** How many times the upstream was (re)started; a restart after a crash counts. */
  starts = 0;

  constructor(spec: UpstreamSpec, options: UpstreamOptions = {}) {
    this.spec = spec;
    this.options = options;
  }

  /** Starts the upstream and initialises it; what it declared then is what the gateway offers for the whole session. */
  async connect(): Promise<void> {
    await this.connected();
  }

  get capabilities(): ServerCapabilities {
    return this.first?.capabilities ?? {};
  }

  get info(): Implementation {
    return this.first?.info ?? { name: "upstream", version: "0" };
  }

  get instructions(): string | undefined {
    return this.first?.instructions;
  }

  /** Whether the upstream is running now (false after a crash, until the next call restarts it). */
  get running(): boolean {
    return this.client !== undefined;
  }

  private transport(): StdioClientTransport | StreamableHTTPClientTransport {
    if (this.spec.kind === "http") {
      return new StreamableHTTPClientTransport(new URL(this.spec.url), { fetch: sessionScopedFetch(), ...(this.spec.headers ? { requestInit: { headers: this.spec.headers } } : {}) });
    }
    const transport = new StdioClientTransport({
      command: this.spec.command,
      args: this.spec.args,
      ...(this.spec.env ? { env: this.spec.env } : {}),
      ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}),
      stderr: this.options.onStderr ? "pipe" : "inherit",
    });
    const onStderr = this.options.onStderr;
    // With stderr "pipe" the SDK hands out a PassThrough before the process starts, so no early line is lost.
    if (onStderr && transport.stderr) createInterface({ input: transport.stderr as PassThrough }).on("line", onStderr);
    return transport;
  }

  /** The running client; a crashed upstream is started again here, on the next call that needs it. */
  private connected(): Promise<Client> {
    if (this.closed) return Promise.reject(new Error("the gateway is closing"));
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.start().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async start(): Promise<Client> {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    client.fallbackNotificationHandler = (notification) => {
      if (notification.method === "notifications/tools/list_changed") this.forgetTools();
      this.options.onNotification?.(notification);
      return Promise.resolve();
    };
    client.onclose = () => {
      if (this.client === client) this.client = undefined;
    };
    this.starts++;
    await client.connect(this.transport(), { timeout: this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS });
    this.first ??= { capabilities: client.getServerCapabilities() ?? {}, info: client.getServerVersion() ?? { name: "upstream", version: "0" }, instructions: client.getInstructions() };
    this.forgetTools();
    if (this.closed) {
      await client.close();
      throw new Error("the gateway is closing");
    }
    this.client = client;
    return client;
  }

  /**
   * Relays one request. Results are parsed only as JSON-RPC results, never against a tool's output
   * schema: the gateway may have masked them, and what reaches the agent is checked by its own client.
   */
  async request(request: { method: string; params?: Record<string, unknown> }, options: RequestOptions): Promise<Result> {
    const client = await this.connected();
    return client.request(request, ResultSchema, options);
  }

  /** One page of the upstream's tools (the cursor passes through); the hints of each are kept for decisions. */
  async listTools(cursor: string | undefined, options: RequestOptions): Promise<{ tools: Tool[]; nextCursor?: string }> {
    const client = await this.connected();
    const page = await client.request({ method: "tools/list", params: cursor !== undefined ? { cursor } : {} }, ListToolsResultSchema, options);
    const known = (this.tools ??= new Map());
    for (const tool of page.tools) known.set(tool.name, tool);
    return page;
  }

  /** A tool as the upstream last listed it; the whole list is fetched once after each change, not per unknown name. */
  async tool(name: string, options: RequestOptions): Promise<Tool | undefined> {
    const found = this.tools?.get(name);
    if (found || this.complete) return found;
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.listTools(cursor, options);
      cursor = page.nextCursor;
      // A cursor seen before would loop forever: an upstream that does that has listed all it will.
      if (cursor !== undefined && seen.has(cursor)) break;
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
    this.complete = true;
    return this.tools?.get(name);
  }

  private forgetTools(): void {
    this.tools = undefined;
    this.complete = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await this.connecting?.catch(() => undefined);
    await client?.close();
  }
}
