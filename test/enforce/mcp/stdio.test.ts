// `arbiter mcp wrap` end to end: the SDK's real client over stdio, the real CLI, real MCP servers from npm, records and proofs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ElicitRequestSchema, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVERYTHING, FILESYSTEM, evidence, startWorld, traceparent, type World } from "./world.js";

let world: World;
const clients: Client[] = [];

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

interface ConnectOptions {
  credential?: string;
  extra?: string[];
  env?: Record<string, string>;
  elicit?: "accept" | "decline";
}

async function connect(transport: StdioClientTransport, elicit?: "accept" | "decline"): Promise<Client> {
  const client = new Client({ name: "test-agent", version: "1.0.0" }, elicit ? { capabilities: { elicitation: {} } } : {});
  if (elicit) {
    client.setRequestHandler(ElicitRequestSchema, () => (elicit === "accept" ? { action: "accept", content: { confirm: true } } : { action: "decline" }));
  }
  await client.connect(transport);
  clients.push(client);
  return client;
}

function gateway(server: "everything" | "filesystem", options: ConnectOptions = {}): Promise<Client> {
  const upstream = server === "everything" ? [process.execPath, EVERYTHING, "stdio"] : [process.execPath, FILESYSTEM, world.files];
  const { command, args } = world.wrap(options.credential ?? (world.keys.coder as string), server, upstream, options.extra);
  return connect(new StdioClientTransport({ command, args, stderr: "ignore", ...(options.env ? { env: options.env } : {}) }), options.elicit);
}

function direct(server: "everything" | "filesystem", env?: Record<string, string>): Promise<Client> {
  const args = server === "everything" ? [EVERYTHING, "stdio"] : [FILESYSTEM, world.files];
  return connect(new StdioClientTransport({ command: process.execPath, args, stderr: "ignore", ...(env ? { env } : {}) }));
}

/** The id of the pending get-sum approval request for `a`, once the gateway has opened it. */
async function pendingApproval(a: number): Promise<string> {
  for (;;) {
    const listed = await fetch(`${world.url}/v1/approvals?state=pending&requester=coder`, { headers: world.bearer("bob") });
    const requests = ((await listed.json()) as { approvals: { id: string; action: string; decision_id: string }[] }).approvals.filter((r) => r.action === "get-sum");
    for (const r of requests) {
      const [decision] = world.runtime.decisions.list({ action: "get-sum" }).filter((d) => d.record.id === r.decision_id);
      if (decision && world.runtime.ledger.reader.rawValuesOf(decision.record.id).some((v) => v.value.includes(`"a":${a},`))) return r.id;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function approve(id: string): Promise<void> {
  const approved = await fetch(`${world.url}/v1/approvals/${id}/approve`, { method: "POST", headers: world.bearer("bob"), body: JSON.stringify({ justification: "checked the numbers" }) });
  expect(approved.status).toBe(200);
}

function text(result: unknown): string {
  return ((result as CallToolResult).content[0] as { text: string }).text;
}

describe("mcp wrap over stdio", () => {
  it("lists only the tools the caller may use at all", async () => {
    const all = (await (await direct("everything")).listTools()).tools.map((t) => t.name);
    const coder = (await (await gateway("everything")).listTools()).tools.map((t) => t.name).sort();
    const intern = (await (await gateway("everything", { credential: world.keys["intern-agent"] as string })).listTools()).tools.map((t) => t.name);
    expect(all).toEqual(expect.arrayContaining(["echo", "get-sum", "toggle-simulated-logging", "gzip-file-as-resource"]));
    // get-sum is gated by an approval and get-tiny-image by a user confirmation: usable, so listed.
    expect(coder).toEqual(["echo", "get-env", "get-structured-content", "get-sum", "get-tiny-image", "trigger-long-running-operation"]);
    expect(intern).toEqual(["echo"]);
  });

  it("passes an allowed call through unchanged, with its decision and enforcement records proven", async () => {
    const upstream = await direct("everything");
    const client = await gateway("everything");
    const { trace, meta } = traceparent();
    const echoed = await client.callTool({ name: "echo", arguments: { message: "hello, tools" }, _meta: { ...meta, "arbiter/task_id": "task-42" } });
    expect(echoed).toEqual(await upstream.callTool({ name: "echo", arguments: { message: "hello, tools" } }));
    expect(await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } })).toEqual(await upstream.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }));

    const [call] = await evidence(world, trace, 1);
    expect(call?.decision).toMatchObject({
      outcome: "allow",
      reason_code: "POLICY_PERMIT",
      action: "echo",
      resource: { id: "everything/echo", type: "Tool" },
      subject: { id: "coder", type: "agent", owner: "alice" },
      pep: { id: "mcp-stdio:everything", kind: "mcp" },
      policy: { determining: ["agents-echo"] },
      correlation: { trace_id: trace, task_id: "task-42" },
    });
    expect(call?.enforcement).toHaveLength(1);
    expect(call?.enforcement[0]).toMatchObject({ status: "executed", decision_id: call?.decision.id, pep: { kind: "mcp" }, correlation: { trace_id: trace, task_id: "task-42", parent_decision_id: call?.decision.id } });
  });

  it("never lets a denied write reach the filesystem", async () => {
    const client = await gateway("filesystem");
    const blocked = join(world.files, "workspace", "protected", "keys.txt");
    const allowed = join(world.files, "workspace", "notes.txt");
    const denied = traceparent();
    const result = await client.callTool({ name: "write_file", arguments: { path: blocked, content: "stolen" }, _meta: denied.meta });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^Arbiter blocked this call: POLICY_FORBID\. Nothing may touch the workspace's protected folder\. Decision [0-9A-Za-z_-]+\.$/);
    expect(existsSync(blocked)).toBe(false);

    const readOnly = traceparent();
    const intent = await client.callTool({ name: "write_file", arguments: { path: allowed, content: "x" }, _meta: { ...readOnly.meta, "arbiter/intent": "read-only review of the notes" } });
    expect(text(intent)).toContain("INTENT_MISMATCH");
    expect(existsSync(allowed)).toBe(false);

    const written = await client.callTool({ name: "write_file", arguments: { path: allowed, content: "meeting at 10" } });
    expect(written.isError).toBeFalsy();
    expect(readFileSync(allowed, "utf8")).toBe("meeting at 10");

    const [deny] = await evidence(world, denied.trace, 1);
    expect(deny?.decision).toMatchObject({ outcome: "deny", reason_code: "POLICY_FORBID", action: "write_file", resource: { id: "filesystem/write_file" }, policy: { determining: ["protected-folder"] } });
    expect(text(result)).toContain(deny?.decision.id);
    expect(deny?.enforcement.map((e) => e.status)).toEqual(["blocked"]);
    const [mismatch] = await evidence(world, readOnly.trace, 1);
    expect(mismatch?.decision).toMatchObject({ outcome: "deny", reason_code: "INTENT_MISMATCH", control: "usage" });
  });

  it("judges a path where it lands: `..` out of the workspace and a NUL byte are refused before the filesystem sees them", async () => {
    const client = await gateway("filesystem");
    // Built by hand: join() would resolve the `..` before the gateway sees it. The raw path matches
    // the permit's "*/workspace*"; where it lands (beside the workspace, still inside the server's root) does not.
    const outside = join(world.files, "escaped.txt");
    const climbed = await client.callTool({ name: "write_file", arguments: { path: `${world.files}/workspace/../escaped.txt`, content: "stolen" } });
    expect(text(climbed)).toMatch(/^Arbiter blocked this call: NO_MATCHING_PERMIT\. /);
    expect(existsSync(outside)).toBe(false);
    const target = join(world.files, "workspace", "notes-nul.txt");
    const nul = await client.callTool({ name: "write_file", arguments: { path: `${target}\u0000.md`, content: "x" } });
    expect(nul.isError).toBe(true);
    expect(text(nul)).toMatch(/^Arbiter blocked this call: REQUEST_INVALID\. Arbiter could not decide this call: args\.path: contains a NUL byte/);
    expect(existsSync(target)).toBe(false);
  });

  it("masks a planted card number and secrets in a tool result before the model sees them", async () => {
    const planted = { PLANTED_CARD: "4111 1111 1111 1111", PLANTED_AWS: "AKIAIOSFODNN7EXAMPLE", PLANTED_GITHUB: `ghp_${"x1Y2".repeat(9)}` };
    const upstream = await direct("everything", planted);
    const client = await gateway("everything", { env: planted });
    const raw = text(await upstream.callTool({ name: "get-env", arguments: {} }));
    for (const value of Object.values(planted)) expect(raw).toContain(value);

    const { trace, meta } = traceparent();
    const masked = text(await client.callTool({ name: "get-env", arguments: {}, _meta: meta }));
    for (const value of Object.values(planted)) expect(masked).not.toContain(value);
    expect(masked).toContain('"PLANTED_CARD": "[MASKED:payment_card]"');
    expect(masked).toContain('"PLANTED_AWS": "[MASKED:secret]"');
    expect(masked).toContain('"PLANTED_GITHUB": "[MASKED:secret]"');

    const [call] = await evidence(world, trace, 1);
    expect(call?.decision).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED", control: "masking", obligations: [{ type: "mask", fields: [], detectors: ["payment_card", "secret"] }] });
    expect(call?.enforcement[0]).toMatchObject({ status: "executed", masked: { fields: ["$.content[0].text"], detectors: { payment_card: 1, secret: 2 } } });
    expect(JSON.stringify(call)).not.toContain("4111");
  });

  it("masks a field by JSON path in structured content and in its text twin", async () => {
    const client = await gateway("everything");
    const { trace, meta } = traceparent();
    const result = await client.callTool({ name: "get-structured-content", arguments: { location: "Chicago" }, _meta: meta });
    expect(result.structuredContent).toEqual({ temperature: 36, conditions: "[MASKED:field]", humidity: 82 });
    expect(text(result)).toBe('{"temperature":36,"conditions":"[MASKED:field]","humidity":82}');
    const [call] = await evidence(world, trace, 1);
    expect(call?.enforcement[0]).toMatchObject({ masked: { fields: ["$.content[0].text.conditions", "$.structuredContent.conditions"], detectors: { field: 2 } } });
  });

  it("holds a call for approval and releases it when an approver approves through the HTTP API", async () => {
    const client = await gateway("everything");
    const { trace, meta } = traceparent();
    const progress: unknown[] = [];
    const call = client.callTool({ name: "get-sum", arguments: { a: 5000, b: 1 }, _meta: meta }, undefined, { onprogress: (p) => progress.push(p) });
    const approval = { id: await pendingApproval(5000) };
    const seen = (await (await fetch(`${world.url}/v1/approvals/${approval.id}`, { headers: world.bearer("bob") })).json()) as Record<string, unknown>;
    expect(seen).toMatchObject({ state: "pending", requester: { id: "coder" }, action: "get-sum", resource: { type: "Tool", id: "everything/get-sum" }, gate_policy: "large-sums-need-approval" });
    await approve(approval.id);

    expect(text(await call)).toBe("The sum of 5000 and 1 is 5001.");
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress[0]).toMatchObject({ message: `Waiting for an approver to decide approval request ${approval.id}.` });
    const [held, released] = await evidence(world, trace, 2);
    expect(held?.decision).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED", approval_request: { request_id: approval.id } });
    expect(held?.enforcement.map((e) => e.status)).toEqual(["held"]);
    expect(released?.decision).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED", approval: { request_id: approval.id, approver: "bob" } });
    expect(released?.enforcement.map((e) => e.status)).toEqual(["executed"]);
  });

  it("answers APPROVAL_EXPIRED when no approver decides in time, and a later retry uses the grant", async () => {
    const client = await gateway("everything", { extra: ["--approval-timeout", "1"] });
    const first = traceparent();
    const expired = await client.callTool({ name: "get-sum", arguments: { a: 7000, b: 2 }, _meta: first.meta });
    expect(expired.isError).toBe(true);
    const id = /Approval request (apr_\S+) is still open/.exec(text(expired))?.[1];
    expect(text(expired)).toMatch(/^Arbiter blocked this call: APPROVAL_EXPIRED\. The call was held for approval request apr_\S+ and no approver decided within 1 s, so it was not made\./);
    const [held] = await evidence(world, first.trace, 1, 2);
    expect(held?.enforcement.map((e) => e.status)).toEqual(["held", "blocked"]);

    await approve(id as string);
    const retry = traceparent();
    expect(text(await client.callTool({ name: "get-sum", arguments: { a: 7000, b: 2 }, _meta: retry.meta }))).toBe("The sum of 7000 and 2 is 7002.");
    const [granted] = await evidence(world, retry.trace, 1);
    expect(granted?.decision).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED", approval: { request_id: id } });
  });

  it("asks the person at the client to confirm through elicitation, where policy allows", async () => {
    const confirming = await gateway("everything", { elicit: "accept" });
    const { trace, meta } = traceparent();
    const image = await confirming.callTool({ name: "get-tiny-image", arguments: {}, _meta: meta });
    expect(image.isError).toBeFalsy();
    expect((image.content as { type: string }[]).map((c) => c.type)).toContain("image");
    const [asked, confirmed] = await evidence(world, trace, 2);
    expect(asked?.decision).toMatchObject({ outcome: "challenge", reason_code: "STEP_UP_REQUIRED", step_up: { acr: "user_confirmation", max_auth_age: 60 } });
    expect(asked?.enforcement.map((e) => e.status)).toEqual(["held"]);
    expect(confirmed?.decision).toMatchObject({ outcome: "allow", reason_code: "POLICY_PERMIT", attributes: { user_confirmation: { method: "elicitation" } } });

    const declining = await gateway("everything", { elicit: "decline" });
    const declined = await declining.callTool({ name: "get-tiny-image", arguments: {} });
    expect(text(declined)).toMatch(/^Arbiter blocked this call: STEP_UP_REQUIRED\. .* Confirmation was asked at the client: the user chose decline\./);

    const unable = await gateway("everything");
    expect(text(await unable.callTool({ name: "get-tiny-image", arguments: {} }))).toMatch(/^Arbiter blocked this call: STEP_UP_REQUIRED\. Fetching an image needs the person at the client to confirm\. A fresh authentication is required \(user_confirmation\) within 60 s\./);
  });

  it("tells a rate-limited caller when to retry", async () => {
    const client = await gateway("everything", { credential: world.keys["intern-agent"] as string });
    for (const n of [1, 2]) expect(text(await client.callTool({ name: "echo", arguments: { message: `m${n}` } }))).toBe(`Echo: m${n}`);
    const limited = await client.callTool({ name: "echo", arguments: { message: "m3" } });
    expect(limited.isError).toBe(true);
    expect(text(limited)).toMatch(/^Arbiter blocked this call: RATE_LIMITED\. Rate limit intern-echo .* Retry after \d+ s\. Decision \S+\.$/);
  });

  it("decides resources/read and prompts/get, and lists only what may be read or got", async () => {
    const upstream = await direct("everything");
    const client = await gateway("everything");
    const docs = (await client.listResources()).resources.map((r) => r.uri);
    expect(docs).toContain("demo://resource/static/document/architecture.md");
    expect(docs).not.toContain("demo://resource/static/document/startup.md");
    const uri = "demo://resource/static/document/architecture.md";
    expect(await client.readResource({ uri })).toEqual(await upstream.readResource({ uri }));
    const refused = await client.readResource({ uri: "demo://resource/static/document/startup.md" }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(McpError);
    expect(refused).toMatchObject({ code: -32010, data: { "arbiter/refusal": { reason_code: "POLICY_FORBID" } } });

    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(["simple-prompt"]);
    expect(await client.getPrompt({ name: "simple-prompt" })).toEqual(await upstream.getPrompt({ name: "simple-prompt" }));
    await expect(client.getPrompt({ name: "args-prompt", arguments: { city: "Paris" } })).rejects.toMatchObject({ code: -32010, data: { "arbiter/refusal": { reason_code: "NO_MATCHING_PERMIT" } } });
  });

  it("sees a revoked credential on the very next call", async () => {
    const issued = await world.runtime.identities.issueApiKey("coder", { id: "test-seeder", type: "human" });
    const client = await gateway("everything", { credential: issued.key });
    expect(text(await client.callTool({ name: "echo", arguments: { message: "before" } }))).toBe("Echo: before");
    await world.runtime.identities.revokeCredential(issued.credential.id, { id: "carol", type: "human" }, "key leaked");
    const after = await client.callTool({ name: "echo", arguments: { message: "after" } });
    expect(text(after)).toMatch(/^Arbiter blocked this call: CREDENTIAL_REVOKED\./);
  });

  it("refuses a task's token on the very next call once the task is completed by another process (TASK_COMPLETED)", async () => {
    const seeder = { id: "test-seeder", type: "human" as const };
    const issued = await world.runtime.identities.issueToken("coder", { task: "job-31", ttlSeconds: 3600 }, seeder);
    const client = await gateway("everything", { credential: issued.token });
    expect(text(await client.callTool({ name: "echo", arguments: { message: "before" } }))).toBe("Echo: before");
    await world.runtime.identities.completeTask("job-31", seeder, "job finished");
    const after = await client.callTool({ name: "echo", arguments: { message: "after" } });
    expect(after.isError).toBe(true);
    expect(text(after)).toMatch(/^Arbiter blocked this call: TASK_COMPLETED\./);
  });

  it("decides, follows approvals and records through a running Arbiter with --server", async () => {
    const client = await gateway("everything", { extra: ["--server", world.url, "--pep-credential", world.keys.gateway as string] });
    const { trace, meta } = traceparent();
    expect((await client.listTools()).tools.map((t) => t.name)).toContain("get-sum");
    expect(text(await client.callTool({ name: "echo", arguments: { message: "remote" }, _meta: meta }))).toBe("Echo: remote");
    const [call] = await evidence(world, trace, 1);
    expect(call?.decision).toMatchObject({ outcome: "allow", pep: { id: "mcp-stdio:everything" } });
    expect(call?.enforcement.map((e) => e.status)).toEqual(["executed"]);

    const held = traceparent();
    const sum = client.callTool({ name: "get-sum", arguments: { a: 6000, b: 6 }, _meta: held.meta });
    const id = await pendingApproval(6000);
    await approve(id);
    expect(text(await sum)).toBe("The sum of 6000 and 6 is 6006.");
    expect((await evidence(world, held.trace, 2)).map((e) => e.decision.reason_code)).toEqual(["APPROVAL_REQUIRED", "APPROVAL_GRANTED"]);
  });

  it("stops holding a call the client cancels, and records it blocked", async () => {
    const client = await gateway("everything");
    const { trace, meta } = traceparent();
    const abort = new AbortController();
    const call = client.callTool({ name: "get-sum", arguments: { a: 8000, b: 8 }, _meta: meta }, undefined, { signal: abort.signal });
    await pendingApproval(8000);
    abort.abort("the user pressed stop");
    await expect(call).rejects.toThrow();
    const [held] = await evidence(world, trace, 1, 2);
    expect(held?.enforcement.map((e) => [e.status, (e.upstream as { error?: string } | undefined)?.error])).toEqual([
      ["held", undefined],
      ["blocked", "the client cancelled the call while it waited for approval"],
    ]);
  });
});
