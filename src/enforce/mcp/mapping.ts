// How MCP operations become decision requests: action, resource, arguments, intent and correlation (see docs/mcp.md).
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { DecisionRequest } from "../../decide/index.js";
import { correlationSchema, type JsonObject, type Pep } from "../../record/index.js";
import type { Candidate } from "../../decide/index.js";

/** Keys an agent may set in a request's `_meta` for Arbiter. */
export const META = {
  /** The task intent of this call; overrides the intent carried by the agent's token. */
  intent: "arbiter/intent",
  /** The agent's task id, for following one task across calls and agents. */
  taskId: "arbiter/task_id",
  /** The decision that let the calling agent run (its parent in a multi-agent chain). */
  parentDecision: "arbiter/parent_decision_id",
  /** W3C Trace Context `traceparent` of the call. */
  traceparent: "traceparent",
} as const;

export const TOOL_TYPE = "Tool";
export const RESOURCE_TYPE = "McpResource";
export const PROMPT_TYPE = "Prompt";
/** What a refusal to open a Streamable HTTP session names: the action, and the upstream as its resource. */
export const OPEN_SESSION = "open_session";
export const SERVER_TYPE = "McpServer";
export const READ_RESOURCE = "resources/read";
export const GET_PROMPT = "prompts/get";

/** Who is calling through one gateway session, and where to. */
export interface Caller {
  /** The agent's own API key or token: authenticated by the engine on every call. */
  credential: string;
  /** The upstream's name in resource ids and attributes (`<server>/<tool>`). */
  server: string;
  pep: Pep;
  /** Sensitivity of everything behind this upstream, when the operator set one. */
  sensitivity?: string;
  /** Session label for correlation.request_id (`stdio`, or the Streamable HTTP session id). */
  session: string;
}

export type Meta = Readonly<Record<string, unknown>> | undefined;

// W3C Trace Context §3.2: version-traceid-parentid-flags, lowercase hex; version ff is invalid.
const TRACEPARENT = /^(?!ff)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-.*)?$/;

function field<K extends keyof typeof correlationSchema.shape>(key: K, value: unknown): Record<string, string> {
  if (typeof value !== "string") return {};
  return correlationSchema.shape[key].safeParse(value).success ? { [key]: value } : {};
}

/** Correlation from `_meta`: trace and parent span from `traceparent`, task, parent decision; malformed values are left out. */
export function correlationOf(meta: Meta, session: string, requestId: string | number): NonNullable<DecisionRequest["correlation"]> {
  const trace = typeof meta?.[META.traceparent] === "string" ? TRACEPARENT.exec(meta[META.traceparent] as string) : null;
  // W3C Trace Context §3.2.2.3-4: an all-zero trace or parent id makes the whole header invalid.
  const ids = trace ? { ...field("trace_id", trace[1]), ...field("span_id", trace[2]) } : {};
  return {
    ...(Object.keys(ids).length === 2 ? ids : {}),
    ...field("task_id", meta?.[META.taskId]),
    ...field("parent_decision_id", meta?.[META.parentDecision]),
    ...field("request_id", `${session}:${String(requestId)}`.slice(0, 256)),
  };
}

function intentOf(meta: Meta): { intent?: string } {
  const intent = meta?.[META.intent];
  return typeof intent === "string" ? { intent } : {};
}

/**
 * A tool's hints as resource attributes, with the MCP defaults for absent ones (readOnly false,
 * destructive true, idempotent false, openWorld true). They are the upstream's claims, not facts.
 */
export function toolAttributes(caller: Caller, tool: Tool | undefined): JsonObject {
  const a = tool?.annotations;
  return {
    server: caller.server,
    read_only: a?.readOnlyHint ?? false,
    destructive: a?.destructiveHint ?? true,
    idempotent: a?.idempotentHint ?? false,
    open_world: a?.openWorldHint ?? true,
    ...(caller.sensitivity ? { sensitivity: caller.sensitivity } : {}),
  };
}

function serverAttributes(caller: Caller): JsonObject {
  return { server: caller.server, ...(caller.sensitivity ? { sensitivity: caller.sensitivity } : {}) };
}

function base(caller: Caller, meta: Meta, requestId: string | number): Pick<DecisionRequest, "subject" | "pep" | "correlation" | "intent"> {
  return { subject: { credential: caller.credential }, pep: caller.pep, correlation: correlationOf(meta, caller.session, requestId), ...intentOf(meta) };
}

export function toolCandidate(caller: Caller, tool: Tool): Candidate {
  return { action: tool.name, resource: { type: TOOL_TYPE, id: `${caller.server}/${tool.name}`, attributes: toolAttributes(caller, tool) } };
}

export function toolRequest(caller: Caller, name: string, args: JsonObject, tool: Tool | undefined, meta: Meta, requestId: string | number): DecisionRequest {
  return { ...base(caller, meta, requestId), action: name, resource: { type: TOOL_TYPE, id: `${caller.server}/${name}`, attributes: toolAttributes(caller, tool) }, args };
}

export function resourceCandidate(caller: Caller, uri: string | undefined): Candidate {
  return { action: READ_RESOURCE, resource: { type: RESOURCE_TYPE, ...(uri !== undefined ? { id: uri } : {}), attributes: serverAttributes(caller) } };
}

export function resourceRequest(caller: Caller, uri: string, meta: Meta, requestId: string | number): DecisionRequest {
  return { ...base(caller, meta, requestId), action: READ_RESOURCE, resource: { type: RESOURCE_TYPE, id: uri, attributes: serverAttributes(caller) }, args: { uri } };
}

export function promptCandidate(caller: Caller, name: string): Candidate {
  return { action: GET_PROMPT, resource: { type: PROMPT_TYPE, id: `${caller.server}/${name}`, attributes: serverAttributes(caller) } };
}

export function promptRequest(caller: Caller, name: string, args: JsonObject, meta: Meta, requestId: string | number): DecisionRequest {
  return { ...base(caller, meta, requestId), action: GET_PROMPT, resource: { type: PROMPT_TYPE, id: `${caller.server}/${name}`, attributes: serverAttributes(caller) }, args };
}
