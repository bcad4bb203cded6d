// Asking the person at the client to confirm one call (MCP elicitation): the step-up a policy with acr "user_confirmation" asks for.
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ElicitResultSchema, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";

export type Confirmation = { confirmed: true; at: string } | { confirmed: false; why: string };

export interface ConfirmInput {
  what: string;
  server: string;
  note: string;
  timeoutMs: number;
}

/** Sends `elicitation/create` with one boolean field; only an accepted form with confirm = true confirms. */
export async function confirmWithUser(extra: RequestHandlerExtra<ServerRequest, ServerNotification>, input: ConfirmInput): Promise<Confirmation> {
  try {
    const answer = await extra.sendRequest(
      {
        method: "elicitation/create",
        params: {
          message: `Arbiter: the agent wants to ${input.what} on ${input.server}. ${input.note} Allow this call once?`,
          requestedSchema: {
            type: "object",
            properties: { confirm: { type: "boolean", title: "Allow this call", description: `Allow the agent to ${input.what} on ${input.server} once` } },
            required: ["confirm"],
          },
        },
      },
      ElicitResultSchema,
      { timeout: input.timeoutMs, signal: extra.signal },
    );
    if (answer.action === "accept" && answer.content?.confirm === true) return { confirmed: true, at: new Date().toISOString() };
    return { confirmed: false, why: answer.action === "accept" ? "the user did not confirm the call" : `the user chose ${answer.action}` };
  } catch (err) {
    return { confirmed: false, why: `the confirmation could not be obtained: ${err instanceof Error ? err.message : String(err)}` };
  }
}
