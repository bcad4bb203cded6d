// Requests whose params do not fit their method, answered -32602 with one short line before the SDK parses them.
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, isJSONRPCRequest, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** What the gateway needs of a request schema: a zod safeParse. */
export interface RequestSchema {
  safeParse(value: unknown): { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } };
}

/** "params.name: expected string, received undefined": the first thing wrong, without the schema. */
function firstProblem(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (!issue) return "the request does not fit its method";
  const where = issue.path.map(String).join(".") || "the request";
  return `${where}: ${issue.message.replace(/^Invalid input: /, "")}`;
}

/**
 * The SDK parses a request against its method's schema before the handler runs and answers a
 * mismatch (a `tools/call` without params, say) as -32603 Internal error with the whole schema
 * error as its message. JSON-RPC 2.0 §5.1 calls that -32602 Invalid params, and the caller needs
 * one line saying what to fix. Installed on a transport already connected to the gateway's server.
 */
export function guardParams(transport: Transport, schemas: ReadonlyMap<string, RequestSchema>): void {
  const deliver = transport.onmessage;
  if (!deliver) throw new Error("guardParams needs a connected transport");
  transport.onmessage = (message, extra) => {
    const schema = isJSONRPCRequest(message) ? schemas.get(message.method) : undefined;
    const parsed = schema?.safeParse(message);
    if (isJSONRPCRequest(message) && parsed && !parsed.success) {
      const answer: JSONRPCMessage = { jsonrpc: "2.0", id: message.id, error: { code: ErrorCode.InvalidParams, message: `Invalid params for ${message.method}: ${firstProblem(parsed.error)}` } };
      transport.send(answer).catch((err: unknown) => transport.onerror?.(err instanceof Error ? err : new Error(String(err))));
      return;
    }
    deliver(message, extra);
  };
}
