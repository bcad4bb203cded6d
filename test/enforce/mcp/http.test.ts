// `arbiter serve` at /mcp/NAME end to end: the SDK's real Streamable HTTP client with a bearer token, real upstreams, records and proofs.
import { existsSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { addUpstream } from "../../../src/enforce/mcp/index.js";
import { EVERYTHING, FILESYSTEM, evidence, startWorld, traceparent, type World } from "./world.js";

let world: World;
let httpUpstream: HttpServer;
const clients: Client[] = [];
const PLANTED = { PLANTED_CARD: "5500-0000-0000-0004", PLANTED_JWT: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJl" };

/** A Streamable HTTP MCP server in this process, for the gateway to reach with --url. */
function startHttpUpstream(): Promise<string> {
  httpUpstream = createServer((req, res) => {
    const server = new McpServer({ name: "remote-echo", version: "1.0.0" });
    server.registerTool("echo", { inputSchema: { message: z.string() } }, ({ message }) => ({ content: [{ type: "text", text: `remote echo: ${message}` }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => void transport.close());
    void server.connect(transport).then(() => transport.handleRequest(req, res));
  });
  return new Promise((resolve) => httpUpstream.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(httpUpstream.address() as AddressInfo).port}/mcp`)));
}

beforeAll(async () => {
  world = await startWorld();
  addUpstream(world.dir, "everything", { command: process.execPath, args: [EVERYTHING, "stdio"], env: PLANTED });
  addUpstream(world.dir, "everything-quick", { command: process.execPath, args: [EVERYTHING, "stdio"], approval_timeout: 1 });
  addUpstream(world.dir, "filesystem", { command: process.execPath, args: [FILESYSTEM, world.files], sensitivity: "confidential" });
  addUpstream(world.dir, "remote", { url: await startHttpUpstream() });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  httpUpstream.close();
});

async function connect(name: string, credential = world.keys.coder as string): Promise<Client> {
  const client = new Client({ name: "http-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${world.url}/mcp/${name}`), { requestInit: { headers: { authorization: `Bearer ${credential}` } } }));
  clients.push(client);
  return client;
}

async function direct(): Promise<Client> {
  const client = new Client({ name: "direct", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, "stdio"], stderr: "ignore", env: PLANTED }));
  clients.push(client);
  return client;
}

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

const post = (path: string, headers: Record<string, string>, body: string) =>
  fetch(`${world.url}${path}`, { method: "POST", headers: { accept: "application/json, text/event-stream", "content-type": "application/json", ...headers }, body });

describe("/mcp/NAME over Streamable HTTP", () => {
  it("lists what the bearer may use and passes allowed calls through unchanged", async () => {
    const upstream = await direct();
    const coder = await connect("everything");
    const intern = await connect("everything", world.keys["intern-agent"]);
    expect((await coder.listTools()).tools.map((t) => t.name).sort()).toEqual(["echo", "get-env", "get-structured-content", "get-sum", "get-tiny-image", "trigger-long-running-operation"]);
    expect((await intern.listTools()).tools.map((t) => t.name)).toEqual(["echo"]);
    const { trace, meta } = traceparent();
    expect(await coder.callTool({ name: "echo", arguments: { message: "over http" }, _meta: meta })).toEqual(await upstream.callTool({ name: "echo", arguments: { message: "over http" } }));
    const [call] = await evidence(world, trace, 1);
    expect(call?.decision).toMatchObject({ outcome: "allow", subject: { id: "coder" }, resource: { id: "everything/echo" }, pep: { id: "mcp-http:everything", kind: "mcp" }, correlation: { trace_id: trace, request_id: expect.stringMatching(/^[0-9a-f-]{36}:\d+$/) as string } });
    expect(call?.enforcement.map((e) => e.status)).toEqual(["executed"]);
  });

  it("never lets a denied write reach the filesystem", async () => {
    const client = await connect("filesystem");
    const target = join(world.files, "workspace", "protected", "http.txt");
    const { trace, meta } = traceparent();
    const result = await client.callTool({ name: "write_file", arguments: { path: target, content: "no" }, _meta: meta });
    expect(text(result)).toMatch(/^Arbiter blocked this call: POLICY_FORBID\./);
    expect(existsSync(target)).toBe(false);
    const [call] = await evidence(world, trace, 1);
    expect(call?.decision).toMatchObject({ outcome: "deny", resource: { id: "filesystem/write_file", sensitivity: "confidential" } });
    expect(call?.enforcement.map((e) => e.status)).toEqual(["blocked"]);
  });

  it("masks a planted card number and token before they reach the agent", async () => {
    const client = await connect("everything");
    const { trace, meta } = traceparent();
    const env = text(await client.callTool({ name: "get-env", arguments: {}, _meta: meta }));
    expect(env).not.toContain(PLANTED.PLANTED_CARD);
    expect(env).not.toContain(PLANTED.PLANTED_JWT);
    expect(env).toContain('"PLANTED_CARD": "[MASKED:payment_card]"');
    expect(env).toContain('"PLANTED_JWT": "[MASKED:secret]"');
    const [call] = await evidence(world, trace, 1);
    expect(call?.enforcement[0]).toMatchObject({ masked: { fields: ["$.content[0].text"], detectors: { payment_card: 1, secret: 1 } } });
  });

  it("holds a call open with progress until an approver approves, and times out on an upstream configured to wait 1 s", async () => {
    const client = await connect("everything");
    const { trace, meta } = traceparent();
    const progress: unknown[] = [];
    const call = client.callTool({ name: "get-sum", arguments: { a: 3000, b: 4 }, _meta: meta }, undefined, { onprogress: (p) => progress.push(p) });
    let id: string | undefined;
    while (!id) {
      const listed = (await (await fetch(`${world.url}/v1/approvals?state=pending&requester=coder`, { headers: world.bearer("bob") })).json()) as { approvals: { id: string; resource: { id: string } }[] };
      id = listed.approvals.find((a) => a.resource.id === "everything/get-sum")?.id;
    }
    expect((await fetch(`${world.url}/v1/approvals/${id}/approve`, { method: "POST", headers: world.bearer("bob"), body: JSON.stringify({ justification: "fine" }) })).status).toBe(200);
    expect(text(await call)).toBe("The sum of 3000 and 4 is 3004.");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    const [held, released] = await evidence(world, trace, 2);
    expect(held?.enforcement.map((e) => e.status)).toEqual(["held"]);
    expect(released?.decision).toMatchObject({ reason_code: "APPROVAL_GRANTED" });

    const quick = await connect("everything-quick");
    const expired = await quick.callTool({ name: "get-sum", arguments: { a: 9000, b: 9 } });
    expect(text(expired)).toMatch(/^Arbiter blocked this call: APPROVAL_EXPIRED\. The call was held for approval request apr_\S+ and no approver decided within 1 s, so it was not made\./);
  });

  it("reaches a Streamable HTTP upstream by URL", async () => {
    const client = await connect("remote");
    expect(text(await client.callTool({ name: "echo", arguments: { message: "hi" } }))).toBe("remote echo: hi");
  });

  it("authenticates the agent's bearer token and binds each session to it", async () => {
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    const none = await post("/mcp/everything", {}, init);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Bearer realm="arbiter"');
    const wrong = await post("/mcp/everything", { authorization: "Bearer arb_0000000000000000_not-a-key-at-all" }, init);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: -32010, message: expect.stringMatching(/^the credential was refused: CREDENTIAL_INVALID/) as string } });
    expect((await post("/mcp/nothing-here", { authorization: `Bearer ${world.keys.coder}` }, init)).status).toBe(404);

    const opened = await post("/mcp/everything", { authorization: `Bearer ${world.keys.coder}` }, init);
    expect(opened.status).toBe(200);
    const session = opened.headers.get("mcp-session-id") as string;
    await opened.body?.cancel();
    const ping = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" });
    const stolen = await post("/mcp/everything", { authorization: `Bearer ${world.keys["intern-agent"]}`, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" }, ping);
    expect(stolen.status).toBe(403);
    expect((await post("/mcp/everything", { authorization: `Bearer ${world.keys.coder}`, "mcp-session-id": "no-such-session" }, ping)).status).toBe(404);
  });

  it("answers a tools/call without params -32602 in one line, decides nothing, and lets no answer be cached or sniffed", async () => {
    const auth = { authorization: `Bearer ${world.keys.coder}` };
    const init = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
    const opened = await post("/mcp/everything", auth, init);
    expect([opened.status, opened.headers.get("cache-control"), opened.headers.get("x-content-type-options")]).toEqual([200, "no-store, no-transform", "nosniff"]);
    await opened.body?.cancel();
    const session = { ...auth, "mcp-session-id": opened.headers.get("mcp-session-id") as string, "mcp-protocol-version": "2025-06-18" };
    expect((await post("/mcp/everything", session, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }))).status).toBe(202);
    const decisions = world.runtime.decisions.list({}).length;
    /** The one JSON-RPC message of an answer, sent as JSON or as one SSE event. */
    const message = async (response: Response): Promise<unknown> => {
      const body = await response.text();
      return JSON.parse(response.headers.get("content-type")?.startsWith("text/event-stream") ? (/^data: (.*)$/m.exec(body)?.[1] ?? "") : body);
    };
    const bare = await post("/mcp/everything", session, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call" }));
    expect(bare.headers.get("cache-control")).toMatch(/^no-store/);
    expect(await message(bare)).toEqual({ jsonrpc: "2.0", id: 2, error: { code: -32602, message: "Invalid params for tools/call: params: expected object, received undefined" } });
    const nameless = await post("/mcp/everything", session, JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { arguments: {} } }));
    expect(await message(nameless)).toEqual({ jsonrpc: "2.0", id: 3, error: { code: -32602, message: "Invalid params for tools/call: params.name: expected string, received undefined" } });
    const uriless = await post("/mcp/everything", session, JSON.stringify({ jsonrpc: "2.0", id: 4, method: "resources/read", params: {} }));
    expect(await message(uriless)).toMatchObject({ id: 4, error: { code: -32602, message: "Invalid params for resources/read: params.uri: expected string, received undefined" } });
    expect(world.runtime.decisions.list({})).toHaveLength(decisions);
    const fine = await post("/mcp/everything", session, JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "echo", arguments: { message: "still here" } } }));
    expect(await message(fine)).toMatchObject({ id: 5, result: { content: [{ type: "text", text: "Echo: still here" }] } });
  });

  it("answers malformed, oversized and out-of-session messages with JSON-RPC errors", async () => {
    const auth = { authorization: `Bearer ${world.keys.coder}` };
    const garbled = await post("/mcp/everything", auth, "{not json");
    expect(garbled.status).toBe(400);
    expect(await garbled.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
    const huge = await post("/mcp/everything", auth, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(5 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: -32600, message: "Invalid Request: message larger than 4194304 bytes" } });
    const early = await post("/mcp/everything", auth, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
    expect(early.status).toBe(400);
    expect(await early.json()).toMatchObject({ error: { code: -32600 } });
    // The API around it still speaks problem+json.
    expect((await fetch(`${world.url}/v1/decisions`, { method: "POST", headers: world.bearer("gateway"), body: "{" })).headers.get("content-type")).toContain("application/problem+json");
  });
});
