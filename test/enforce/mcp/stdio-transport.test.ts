// The agent-facing stdio transport: line framing across chunks, answers to bad lines, the size limit, and recovery after it.
import { PassThrough } from "node:stream";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { GuardedStdioTransport } from "../../../src/enforce/mcp/index.js";

async function run(chunks: (string | Buffer)[], maxBytes = 64): Promise<{ received: JSONRPCMessage[]; answered: unknown[] }> {
  const input = new PassThrough();
  const output = new PassThrough();
  const transport = new GuardedStdioTransport(input, output, maxBytes);
  const received: JSONRPCMessage[] = [];
  transport.onmessage = (m) => received.push(m);
  await transport.start();
  for (const chunk of chunks) input.write(chunk);
  await new Promise((resolve) => setImmediate(resolve));
  await transport.close();
  const answered = (output.read() as Buffer | null)?.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as unknown) ?? [];
  return { received, answered };
}

describe("GuardedStdioTransport", () => {
  it("frames messages split anywhere, even inside a multi-byte character, and ignores blank lines and CR", async () => {
    const line = Buffer.from('{"jsonrpc":"2.0","method":"note","params":{"t":"é€"}}\r\n\n');
    const { received, answered } = await run([line.subarray(0, 41), line.subarray(41, 44), line.subarray(44)], 1024);
    expect(received).toEqual([{ jsonrpc: "2.0", method: "note", params: { t: "é€" } }]);
    expect(answered).toEqual([]);
  });

  it("answers what it cannot pass on, naming the request when it can", async () => {
    const { received, answered } = await run(['not json\n', '{"jsonrpc":"2.0","id":"a","method":3}\n', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n', "null\n"], 1024);
    expect(received).toEqual([]);
    expect(answered).toMatchObject([
      { jsonrpc: "2.0", id: null, error: { code: -32700 } },
      { id: "a", error: { code: -32600 } },
      { id: null, error: { code: -32600, message: "Invalid Request: JSON-RPC batches are not supported by MCP" } },
      { id: null, error: { code: -32600 } },
    ]);
  });

  it("discards a message over the limit up to its newline, answers once, and reads the next one", async () => {
    const ok = '{"jsonrpc":"2.0","id":2,"method":"ping"}\n';
    const frame = (pad: string) => `{"jsonrpc":"2.0","id":3,"method":"ping","params":{"p":"${pad}"}}`;
    const exact = `${frame("x".repeat(64 - frame("").length))}\n`;
    expect(Buffer.byteLength(exact) - 1).toBe(64);
    const { received, answered } = await run([`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"`, "x".repeat(100), "x".repeat(100), '"}}\n', ok, exact]);
    expect(answered).toEqual([{ jsonrpc: "2.0", id: null, error: { code: -32600, message: "Invalid Request: message larger than 64 bytes; it was discarded" } }]);
    expect(received.map((m) => ("id" in m ? m.id : undefined))).toEqual([2, 3]);
  });
});
