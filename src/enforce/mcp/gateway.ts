// The agent-facing MCP server of one session: lists filtered, acting operations enforced, harmless ones relayed, everything else refused.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  CompleteRequestSchema,
  CompleteResultSchema,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListPromptsResultSchema,
  ListResourcesRequestSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesRequestSchema,
  ListResourceTemplatesResultSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
  SetLevelRequestSchema,
  ErrorCode,
  type CallToolResult,
  type GetPromptResult,
  type Implementation,
  type ReadResourceResult,
  type Notification,
  type ServerCapabilities,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JsonObject } from "../../record/index.js";
import type { DecisionPoint } from "../decision-point/index.js";
import { GatewayError, protocolRefusal, toolRefusal } from "./answers.js";
import { enforce, type Extra, type GatewayContext, type Limits } from "./enforce.js";
import { Listing } from "./listing.js";
import { promptCandidate, promptRequest, resourceCandidate, resourceRequest, toolCandidate, toolRequest, type Caller } from "./mapping.js";
import { guardParams, type RequestSchema } from "./params-guard.js";
import { maskPromptResult, maskResourceResult, maskToolResult } from "./payloads.js";
import { ReportQueue } from "./reports.js";
import { Upstream, type UpstreamSpec } from "./upstream.js";

export interface GatewayOptions {
  /** Who calls through this session; given the upstream's own description once it has started. */
  caller: (upstream: Implementation) => Caller;
  point: DecisionPoint;
  limits: Limits;
  log: (line: string) => void;
  /** Where a stdio upstream's stderr goes, line by line; the gateway's own stderr when absent. */
  upstreamStderr?: (line: string) => void;
}

/** Upstream notifications relayed to the agent; progress travels with its call, and resource updates are never subscribed to. */
const RELAYED = new Set(["notifications/tools/list_changed", "notifications/resources/list_changed", "notifications/prompts/list_changed", "notifications/message"]);

/**
 * What the agent is offered: the upstream's tools, resources, prompts, completions and logging, never
 * more. Resource subscriptions and tasks are left out, so their methods are refused (MethodNotFound).
 */
function offered(upstream: ServerCapabilities): ServerCapabilities {
  return {
    ...(upstream.tools ? { tools: { ...(upstream.tools.listChanged ? { listChanged: true } : {}) } } : {}),
    ...(upstream.resources ? { resources: { ...(upstream.resources.listChanged ? { listChanged: true } : {}) } } : {}),
    ...(upstream.prompts ? { prompts: { ...(upstream.prompts.listChanged ? { listChanged: true } : {}) } } : {}),
    ...(upstream.completions ? { completions: {} } : {}),
    ...(upstream.logging ? { logging: {} } : {}),
  };
}

/** An upstream answer that is not the result its method promises is the upstream's failure, told as a JSON-RPC error. */
function resultOf<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, result: unknown, method: string): T {
  const parsed = schema.safeParse(result);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new GatewayError(ErrorCode.InternalError, `the upstream answered ${method} with something that is not a valid result${issue ? ` (${issue.path.map(String).join(".")}: ${issue.message})` : ""}`);
}

/** The caller's `_meta`, minus the progress token (the upstream gets one of the gateway's own). */
function forwardedMeta(meta: Extra["_meta"]): Record<string, unknown> | undefined {
  if (!meta) return undefined;
  const { progressToken: _token, ...rest } = meta;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

export class McpGateway {
  readonly server: Server;
  readonly upstream: Upstream;
  private readonly reports: ReportQueue;
  private readonly listing: Listing;
  private readonly context: GatewayContext;
  /** The request schema of each method a handler is registered for, checked by guardParams. */
  private readonly schemas = new Map<string, RequestSchema>();

  private constructor(upstream: Upstream, options: GatewayOptions) {
    const caller = options.caller(upstream.info);
    this.upstream = upstream;
    this.reports = new ReportQueue(options.point, options.log);
    this.listing = new Listing(options.point, { credential: caller.credential });
    const caps = offered(upstream.capabilities);
    this.server = new Server(upstream.info, { capabilities: caps, ...(upstream.instructions ? { instructions: upstream.instructions } : {}) });
    this.server.onerror = (err) => options.log(`arbiter mcp: ${err.message}`);
    this.context = {
      point: options.point,
      reports: this.reports,
      upstream,
      caller,
      limits: options.limits,
      canElicit: () => this.server.getClientCapabilities()?.elicitation?.form !== undefined,
    };
    if (caps.tools) this.tools();
    if (caps.resources) this.resources();
    if (caps.prompts) this.prompts();
    if (caps.completions) this.handle(CompleteRequestSchema, (request, extra) => this.relay(request, extra, CompleteResultSchema));
    if (caps.logging) this.handle(SetLevelRequestSchema, async (request, extra) => ({ ...(await this.relay(request, extra)) }));
  }

  /** Starts (or reaches) the upstream, then builds the gateway in front of it; the gateway owns the upstream. */
  static async open(spec: UpstreamSpec, options: GatewayOptions): Promise<McpGateway> {
    // The upstream starts first (its capabilities shape the gateway); its notifications find the gateway once it exists.
    const sink: { gateway?: McpGateway } = {};
    const upstream = new Upstream(spec, { onNotification: (n) => sink.gateway?.notify(n), ...(options.upstreamStderr ? { onStderr: options.upstreamStderr } : {}) });
    try {
      await upstream.connect();
    } catch (err) {
      await upstream.close();
      const what = spec.kind === "http" ? spec.url : [spec.command, ...spec.args].join(" ");
      throw new Error(`the upstream MCP server (${what}) could not be started and initialised: ${err instanceof Error ? err.message.replace(/^MCP error -?\d+: /, "") : String(err)}`, { cause: err });
    }
    sink.gateway = new McpGateway(upstream, options);
    return sink.gateway;
  }

  /** Serves the agent on `transport`, requests whose params do not fit their method answered -32602 (see guardParams). */
  async connect(transport: Transport): Promise<void> {
    await this.server.connect(transport);
    guardParams(transport, this.schemas);
  }

  private handle: Server["setRequestHandler"] = (schema, handler) => {
    // The SDK's request schemas are zod objects whose method is a literal.
    const method = (schema as unknown as { shape: { method: { value: unknown } } }).shape.method.value;
    if (typeof method === "string") this.schemas.set(method, schema as unknown as RequestSchema);
    this.server.setRequestHandler(schema, handler);
  };

  private notify(notification: Notification): void {
    if (!RELAYED.has(notification.method)) return;
    if (notification.method.endsWith("/list_changed")) this.listing.forget();
    if (!this.server.transport) return;
    // A notification the agent misses is harmless; the call paths never depend on it.
    void this.server.notification(notification as ServerNotification).catch(() => undefined);
  }

  private relay<T>(request: { method: string; params?: Record<string, unknown> }, extra: Extra, schema?: { parse(value: unknown): T }): Promise<T> {
    return this.upstream.request(request, { signal: extra.signal, timeout: this.context.limits.callTimeoutMs }).then((r) => (schema ? schema.parse(r) : (r as T)));
  }

  private tools(): void {
    const { caller, limits } = this.context;
    this.handle(ListToolsRequestSchema, async (request, extra) => {
      const page = await this.upstream.listTools(request.params?.cursor, { signal: extra.signal, timeout: limits.callTimeoutMs });
      const tools = await this.listing.filter(page.tools, (tool) => toolCandidate(caller, tool));
      return { tools, ...(page.nextCursor !== undefined ? { nextCursor: page.nextCursor } : {}) };
    });
    this.handle(CallToolRequestSchema, async (request, extra) => {
      const { name } = request.params;
      const args = (request.params.arguments ?? {}) as JsonObject;
      const tool = await this.upstream.tool(name, { signal: extra.signal, timeout: limits.callTimeoutMs }).catch(() => undefined);
      const meta = forwardedMeta(request.params._meta);
      return enforce(
        this.context,
        {
          what: `call the tool ${name}`,
          request: toolRequest(caller, name, args, tool, request.params._meta, extra.requestId),
          args,
          forward: (forwarded, options) => this.upstream.request({ method: "tools/call", params: { name, arguments: forwarded ?? {}, ...(meta ? { _meta: meta } : {}) } }, options),
          parse: (result) => resultOf(CallToolResultSchema, result, "tools/call"),
          mask: (result, spec, tally) => maskToolResult(result as CallToolResult, spec, tally),
          refuse: toolRefusal,
        },
        extra,
      );
    });
  }

  private resources(): void {
    const { caller } = this.context;
    this.handle(ListResourcesRequestSchema, async (request, extra) => {
      const page = await this.relay(request, extra, ListResourcesResultSchema);
      return { ...page, resources: await this.listing.filter(page.resources, (r) => resourceCandidate(caller, r.uri)) };
    });
    this.handle(ListResourceTemplatesRequestSchema, async (request, extra) => {
      const page = await this.relay(request, extra, ListResourceTemplatesResultSchema);
      // A template names no resource yet: it is listed when reading some resource of the kind could be allowed.
      return { ...page, resourceTemplates: await this.listing.filter(page.resourceTemplates, () => resourceCandidate(caller, undefined)) };
    });
    this.handle(ReadResourceRequestSchema, async (request, extra) => {
      const { uri } = request.params;
      const meta = forwardedMeta(request.params._meta);
      return enforce(
        this.context,
        {
          what: `read the resource ${uri}`,
          request: resourceRequest(caller, uri, request.params._meta, extra.requestId),
          args: undefined,
          forward: (_args, options) => this.upstream.request({ method: "resources/read", params: { uri, ...(meta ? { _meta: meta } : {}) } }, options),
          parse: (result) => resultOf(ReadResourceResultSchema, result, "resources/read"),
          mask: (result, spec, tally) => maskResourceResult(result as ReadResourceResult, spec, tally),
          refuse: (refusal) => {
            throw protocolRefusal(refusal);
          },
        },
        extra,
      );
    });
  }

  private prompts(): void {
    const { caller } = this.context;
    this.handle(ListPromptsRequestSchema, async (request, extra) => {
      const page = await this.relay(request, extra, ListPromptsResultSchema);
      return { ...page, prompts: await this.listing.filter(page.prompts, (p) => promptCandidate(caller, p.name)) };
    });
    this.handle(GetPromptRequestSchema, async (request, extra) => {
      const { name } = request.params;
      const args = (request.params.arguments ?? {}) as JsonObject;
      const meta = forwardedMeta(request.params._meta);
      return enforce(
        this.context,
        {
          what: `get the prompt ${name}`,
          request: promptRequest(caller, name, args, request.params._meta, extra.requestId),
          args,
          forward: (forwarded, options) => this.upstream.request({ method: "prompts/get", params: { name, arguments: forwarded ?? {}, ...(meta ? { _meta: meta } : {}) } }, options),
          parse: (result) => resultOf(GetPromptResultSchema, result, "prompts/get"),
          mask: (result, spec, tally) => maskPromptResult(result as GetPromptResult, spec, tally),
          refuse: (refusal) => {
            throw protocolRefusal(refusal);
          },
        },
        extra,
      );
    });
  }

  /** Stops serving, writes every queued enforcement record, then stops the upstream. */
  async close(): Promise<void> {
    await this.server.close().catch(() => undefined);
    await this.reports.drain();
    await this.upstream.close();
  }
}
