// The agent-facing stdio transport: newline-delimited JSON-RPC with a size limit, answering bad input instead of dropping it.
import type { Readable, Writable } from "node:stream";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/** The largest JSON-RPC message accepted from the agent, as for Streamable HTTP bodies. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Replaces the SDK's StdioServerTransport, which drops a line that is not JSON-RPC without answering
 * and closes the session when its 10 MiB buffer overflows: a caller must learn what was wrong with
 * its message (JSON-RPC 2.0 §5.1: -32700 for unparseable JSON, -32600 for an invalid request) and
 * the gateway must keep serving.
 */
export class GuardedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;

  private readonly input: Readable;
  private readonly output: Writable;
  private readonly maxBytes: number;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside a line that is already too long: everything up to its newline is discarded. */
  private discarding = false;
  private closed = false;

  constructor(input: Readable, output: Writable, maxBytes = MAX_MESSAGE_BYTES) {
    this.input = input;
    this.output = output;
    this.maxBytes = maxBytes;
  }

  private readonly onData = (chunk: Buffer): void => {
    let from = 0;
    while (from < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, from);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.discarding) {
        this.size += end - from;
        if (this.size > this.maxBytes) {
          this.discarding = true;
          this.chunks = [];
          this.reply(null, ErrorCode.InvalidRequest, `Invalid Request: message larger than ${this.maxBytes} bytes; it was discarded`);
        } else if (end > from) {
          this.chunks.push(chunk.subarray(from, end));
        }
      }
      if (nl === -1) return;
      if (!this.discarding) this.line(Buffer.concat(this.chunks).toString("utf8"));
      this.chunks = [];
      this.size = 0;
      this.discarding = false;
      from = nl + 1;
    }
  };

  private readonly onEnd = (): void => void this.close();
  private readonly onError = (err: Error): void => this.onerror?.(err);

  private line(text: string): void {
    const trimmed = text.replace(/\r$/, "");
    if (trimmed.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      this.reply(null, ErrorCode.ParseError, `Parse error: ${err instanceof Error ? err.message : "invalid JSON"}`);
      return;
    }
    if (Array.isArray(value)) {
      this.reply(null, ErrorCode.InvalidRequest, "Invalid Request: JSON-RPC batches are not supported by MCP");
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (!parsed.success) {
      const id = (value as { id?: unknown } | null)?.id;
      this.reply(typeof id === "string" || typeof id === "number" ? id : null, ErrorCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 request, notification or response");
      return;
    }
    this.onmessage?.(parsed.data);
  }

  private reply(id: string | number | null, code: number, message: string): void {
    // The transport's own answer to a message the protocol layer never saw; nothing waits on it.
    void this.write(`${JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } })}\n`).catch((err: unknown) => this.onerror?.(err as Error));
  }

  private write(text: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const ok = this.output.write(text, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else this.output.once("drain", resolve);
    });
  }

  start(): Promise<void> {
    this.input.on("data", this.onData);
    this.input.on("end", this.onEnd);
    this.input.on("error", this.onError);
    return Promise.resolve();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.input.off("data", this.onData);
    this.input.off("end", this.onEnd);
    this.input.off("error", this.onError);
    this.input.pause();
    this.onclose?.();
    return Promise.resolve();
  }
}
