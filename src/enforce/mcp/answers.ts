// What an agent is told when Arbiter refuses a call: a tool result the model can read, or a JSON-RPC error where MCP has no result to carry it.
import { ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Decision } from "../../decide/index.js";
import { isArbiterError, type ErrorCode as ArbiterErrorCode, type ReasonCode } from "../../record/index.js";

/**
 * JSON-RPC error code of a refused `resources/read` or `prompts/get` (MCP gives those no error
 * result), and of a listing refused because the credential was: in the implementation-defined
 * server error range (JSON-RPC 2.0 §5.1), clear of the SDK's -32000, -32001 and -32042.
 */
export const REFUSED_BY_POLICY = -32010;

/** Where the refusal's fields sit in a result's or error's data, for clients that read more than text. */
export const REFUSAL_META_KEY = "arbiter/refusal";

export interface Refusal {
  /** A reason code (docs/reason-codes.md) or, when no decision could be made, the error code: the two tables share no name. */
  reason_code: ReasonCode | ArbiterErrorCode;
  note: string;
  decision_id?: string;
  retry_after?: number;
  approval_request?: { id: string; state: string; expires_at: string };
  step_up?: { max_auth_age?: number; acr?: string };
}

export function refusalOf(decision: Decision): Refusal {
  return {
    reason_code: decision.reason_code,
    note: decision.note,
    decision_id: decision.decision_id,
    ...(decision.retry_after !== undefined ? { retry_after: decision.retry_after } : {}),
    ...(decision.approval_request ? { approval_request: decision.approval_request } : {}),
    ...(decision.step_up ? { step_up: decision.step_up } : {}),
  };
}

/** No decision could be made (the engine refused the request, or the ledger or Arbiter was unreachable): the call is refused. */
export function undecided(err: unknown): Refusal {
  const message = err instanceof Error ? err.message : String(err);
  // The engine's message lists every declared action: policy detail an agent has no need to see.
  if (isArbiterError(err) && (err.code === "UNKNOWN_ACTION" || err.code === "UNKNOWN_RESOURCE_TYPE")) {
    return { reason_code: err.code, note: "The active policy set does not declare this action for this kind of resource, so no call of it can be allowed. The call was not made." };
  }
  if (isArbiterError(err) && err.code !== "LEDGER_UNAVAILABLE" && err.code !== "NO_ACTIVE_POLICY") {
    return { reason_code: err.code, note: `Arbiter could not decide this call: ${message}. The call was not made.` };
  }
  return { reason_code: "DECISION_ERROR", note: `Arbiter could not record a decision for this call, so it was not made: ${message}.` };
}

/** A policy's @note may lack its full stop; the next sentence must not run into it. */
function sentence(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** One paragraph the model can act on: what happened, why, and what it may do next. */
export function refusalText(r: Refusal): string {
  const parts = [`Arbiter blocked this call: ${r.reason_code}. ${sentence(r.note)}`];
  if (r.retry_after !== undefined) parts.push(`Retry after ${r.retry_after} s.`);
  if (r.approval_request && r.reason_code === "APPROVAL_EXPIRED") {
    parts.push(`Approval request ${r.approval_request.id} is still open until ${r.approval_request.expires_at}; once an approver approves it, repeat exactly the same call to use the grant.`);
  }
  if (r.step_up) parts.push(`A fresh authentication is required${r.step_up.acr ? ` (${r.step_up.acr})` : ""}${r.step_up.max_auth_age !== undefined ? ` within ${r.step_up.max_auth_age} s` : ""}.`);
  if (r.decision_id) parts.push(`Decision ${r.decision_id}.`);
  return parts.join(" ");
}

export function toolRefusal(r: Refusal): CallToolResult {
  return { content: [{ type: "text", text: refusalText(r) }], isError: true, _meta: { [REFUSAL_META_KEY]: { ...r } } };
}

/**
 * A JSON-RPC error the gateway answers with. The SDK sends a thrown error's `code`, `message` and
 * `data` as they are; McpError would prefix the message with "MCP error N:", which the agent's own
 * client adds again on its side.
 */
export class GatewayError extends Error {
  readonly code: number;
  readonly data: Record<string, unknown> | undefined;

  constructor(code: number, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = "GatewayError";
    this.code = code;
    this.data = data;
  }
}

export function protocolRefusal(r: Refusal): GatewayError {
  return new GatewayError(REFUSED_BY_POLICY, refusalText(r), { [REFUSAL_META_KEY]: { ...r } });
}

const TIMEOUT: number = ErrorCode.RequestTimeout;
const CLOSED: number = ErrorCode.ConnectionClosed;

/** The upstream's own JSON-RPC error, or ours describing what went wrong with it, without the SDK's "MCP error N:" prefix. */
export function upstreamFailure(err: unknown, server: string, timeoutMs: number, cancelled: boolean): { code: number; message: string } {
  if (cancelled) return { code: ErrorCode.ConnectionClosed, message: `the client cancelled the call while upstream ${server} was running it` };
  if (err instanceof GatewayError) return { code: err.code, message: err.message };
  if (err instanceof McpError) {
    const message = err.message.replace(/^MCP error -?\d+: /, "");
    if (err.code === TIMEOUT) return { code: err.code, message: `upstream ${server} did not answer within ${Math.round(timeoutMs / 1000)} s; it may or may not have acted` };
    if (err.code === CLOSED) return { code: err.code, message: `upstream ${server} closed the connection (it exited or crashed) before answering; it may or may not have acted` };
    return { code: err.code, message };
  }
  return { code: ErrorCode.InternalError, message: `upstream ${server} is unavailable: ${err instanceof Error ? err.message : String(err)}` };
}
