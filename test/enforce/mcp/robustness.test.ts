// Bad input and bad upstreams over stdio: malformed JSON-RPC, unknown methods, oversized messages, crashes and hangs. The gateway answers, records and keeps serving.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../support/cli.js";
import { FLAKY_SERVER, evidence, startWorld, traceparent, type World } from "./world.js";

interface Message {
  id?: string | number | null;
  result?: Record<string, unknown> & { content?: { text: string }[]; isError?: boolean };
  error?: { code: number; message: string };
}

/** A raw agent: writes lines to the gateway's stdin and reads its answers, with no SDK in between. */
class RawAgent {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Message[] = [];
  private readonly waiters: ((m: Message) => void)[] = [];
  private readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: Record<string, string>) {
    this.child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as Message;
      const waiter = this.waiters.shift();
      if (waiter) waiter(message);
      else this.queue.push(message);
    });
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  next(): Promise<Message> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async call(id: number, method: string, params: Record<string, unknown> = {}): Promise<Message> {
    this.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    return this.next();
  }

  close(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }
}

let world: World;
let log: string;
const agents: RawAgent[] = [];

async function agent(extra: string[] = []): Promise<RawAgent> {
  const { command, args } = world.wrap(world.keys.coder as string, "flaky", [process.execPath, FLAKY_SERVER], ["--call-timeout", "1", ...extra]);
  const a = new RawAgent(command, args, { FLAKY_LOG: log });
  agents.push(a);
  const init = await a.call(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } });
  expect(init.result).toMatchObject({ serverInfo: { name: "flaky" }, capabilities: { tools: {} } });
  a.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
  return a;
}

function forwarded(): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
}

beforeAll(async () => {
  world = await startWorld();
  log = join(tempDir("arbiter-flaky-"), "calls.log");
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
});

describe("the stdio gateway under bad input", () => {
  it("answers malformed JSON-RPC, unknown methods and oversized messages with JSON-RPC errors, and keeps serving", async () => {
    const a = await agent();
    a.write("{this is not json");
    expect(await a.next()).toMatchObject({ id: null, error: { code: -32700 } });
    a.write(JSON.stringify({ jsonrpc: "2.0", id: 7, method: 5 }));
    expect(await a.next()).toMatchObject({ id: 7, error: { code: -32600 } });
    a.write(JSON.stringify([{ jsonrpc: "2.0", id: 8, method: "ping" }]));
    expect(await a.next()).toMatchObject({ id: null, error: { code: -32600, message: "Invalid Request: JSON-RPC batches are not supported by MCP" } });
    expect(await a.call(9, "tools/frobnicate")).toMatchObject({ id: 9, error: { code: -32601 } });
    // Not offered, so refused: subscriptions and tasks never reach the upstream.
    expect(await a.call(10, "resources/subscribe", { uri: "file:///x" })).toMatchObject({ id: 10, error: { code: -32601 } });
    expect(await a.call(11, "tasks/list")).toMatchObject({ id: 11, error: { code: -32601 } });
    a.write(JSON.stringify({ jsonrpc: "2.0", id: 15, method: "tools/call" }));
    expect(await a.next()).toEqual({ jsonrpc: "2.0", id: 15, error: { code: -32602, message: "Invalid params for tools/call: params: expected object, received undefined" } });
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 12, method: "tools/call", params: { name: "ok", arguments: { note: "x".repeat(5 * 1024 * 1024) } } });
    a.write(huge);
    expect(await a.next()).toMatchObject({ id: null, error: { code: -32600, message: "Invalid Request: message larger than 4194304 bytes; it was discarded" } });
    expect(await a.call(13, "ping")).toEqual({ jsonrpc: "2.0", id: 13, result: {} });
    expect(await a.call(14, "tools/call", { name: "ok", arguments: { note: "still here" } })).toMatchObject({ id: 14, result: { content: [{ text: expect.stringMatching(/^ok \d+ still here$/) as string }] } });
    expect(forwarded().filter((n) => n === "ok")).toHaveLength(1);
  });

  it("never forwards a refused or undecided call", async () => {
    const a = await agent();
    const before = forwarded().length;
    const refused = traceparent();
    const denied = await a.call(20, "tools/call", { name: "refused", arguments: {}, _meta: refused.meta });
    expect(denied.result?.isError).toBe(true);
    expect(denied.result?.content?.[0]?.text).toMatch(/^Arbiter blocked this call: NO_MATCHING_PERMIT\./);
    // Calls the engine cannot decide are refused and recorded too; the answer names the record.
    const undeclaredTrace = traceparent();
    const undeclared = await a.call(21, "tools/call", { name: "drop_tables", arguments: { password: "hunter2-undeclared" }, _meta: undeclaredTrace.meta });
    expect(undeclared.result?.content?.[0]?.text).toMatch(/^Arbiter blocked this call: UNKNOWN_ACTION\. The active policy set does not declare this action for this kind of resource, so no call of it can be allowed\. The call was not made\. Decision [0-9a-f-]{36}\.$/);
    const tooDeepTrace = traceparent();
    const tooDeep = await a.call(22, "tools/call", { name: "ok", arguments: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }, _meta: tooDeepTrace.meta });
    expect(tooDeep.result?.content?.[0]?.text).toMatch(/^Arbiter blocked this call: REQUEST_INVALID\. Arbiter could not decide this call: args\.a\.b\.c\.d\.e\.f\.g: nested deeper than 8 levels\. The call was not made\. Decision [0-9a-f-]{36}\.$/);
    for (const [trace, code, answer] of [[undeclaredTrace.trace, "UNKNOWN_ACTION", undeclared], [tooDeepTrace.trace, "REQUEST_INVALID", tooDeep]] as const) {
      const [recorded] = await evidence(world, trace, 1, 0);
      expect(recorded?.decision).toMatchObject({ outcome: "error", reason_code: "DECISION_ERROR", note: expect.stringContaining(`(${code})`) as string });
      expect(answer.result?.content?.[0]?.text).toContain(`Decision ${recorded?.decision.id}.`);
      expect(JSON.stringify(recorded)).not.toContain("hunter2-undeclared");
    }

    // Arbiter gone after the gateway started (its start-up check passed): no durable decision, so no call.
    const standIn = createServer((request, response) => {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ policy_version: "sha256:start", caller: { ok: true, id: "coder" }, visible: [] }));
    });
    await new Promise<void>((resolve) => standIn.listen(0, "127.0.0.1", resolve));
    const gone = `http://127.0.0.1:${(standIn.address() as AddressInfo).port}`;
    const { command, args } = world.wrap(world.keys.coder as string, "flaky", [process.execPath, FLAKY_SERVER], ["--server", gone, "--pep-credential", world.keys.gateway as string]);
    const cut = new RawAgent(command, args, { FLAKY_LOG: log });
    agents.push(cut);
    await cut.call(0, "initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } });
    standIn.closeAllConnections();
    await new Promise<void>((resolve) => standIn.close(() => resolve()));
    const undecided = await cut.call(23, "tools/call", { name: "ok", arguments: {} });
    expect(undecided.result?.content?.[0]?.text).toMatch(new RegExp(`^Arbiter blocked this call: DECISION_ERROR\\. Arbiter could not record a decision for this call, so it was not made: Arbiter at ${gone.replace(/\./g, "\\.")} could not be reached`));
    expect(await cut.call(24, "tools/list")).toMatchObject({ id: 24, error: { code: -32603 } });

    expect(forwarded()).toHaveLength(before);
    const [record] = await evidence(world, refused.trace, 1);
    expect(record?.enforcement.map((e) => e.status)).toEqual(["blocked"]);
  });

  it("answers a crashed upstream's pending call with an error, records it failed, and restarts the upstream on the next call", async () => {
    const a = await agent();
    const crash = traceparent();
    const crashed = await a.call(30, "tools/call", { name: "crash", arguments: {}, _meta: crash.meta });
    expect(crashed).toMatchObject({ id: 30, error: { code: -32000, message: expect.stringMatching(/^upstream flaky closed the connection \(it exited or crashed\) before answering; it may or may not have acted \(decision \S+\)$/) as string } });
    const again = await a.call(31, "tools/call", { name: "ok", arguments: { note: "after the crash" } });
    expect(again.result?.content?.[0]?.text).toBe("ok 1 after the crash");
    const [record] = await evidence(world, crash.trace, 1);
    expect(record?.decision).toMatchObject({ outcome: "allow", action: "crash" });
    expect(record?.enforcement[0]).toMatchObject({ status: "failed", upstream: { status: -32000 } });
  });

  it("times out a hung upstream call, records it failed, and keeps serving", async () => {
    const a = await agent();
    const hang = traceparent();
    const started = Date.now();
    const hung = await a.call(40, "tools/call", { name: "hang", arguments: {}, _meta: hang.meta });
    expect(hung).toMatchObject({ id: 40, error: { code: -32001, message: expect.stringMatching(/^upstream flaky did not answer within 1 s; it may or may not have acted/) as string } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await a.call(41, "tools/call", { name: "ok", arguments: {} })).result?.content?.[0]?.text).toMatch(/^ok \d+$/);
    const malformed = traceparent();
    expect(await a.call(42, "tools/call", { name: "malformed", arguments: {}, _meta: malformed.meta })).toMatchObject({ id: 42, error: { code: -32603, message: expect.stringMatching(/^the upstream answered tools\/call with something that is not a valid result \(content: Invalid input: expected array, received string\) \(decision \S+\)$/) as string } });
    const [timedOut] = await evidence(world, hang.trace, 1);
    expect(timedOut?.enforcement[0]).toMatchObject({ status: "failed", upstream: { status: -32001 } });
    const [bad] = await evidence(world, malformed.trace, 1);
    expect(bad?.enforcement[0]).toMatchObject({ status: "failed", upstream: { status: -32603 } });
  });

  it("writes every enforcement record before it exits", async () => {
    const a = await agent();
    const last = traceparent();
    await a.call(50, "tools/call", { name: "ok", arguments: {}, _meta: last.meta });
    expect(await a.close()).toBe(0);
    const [record] = world.runtime.decisions.list({ trace: last.trace });
    expect(world.runtime.decisions.explain(record?.record.id ?? "").related.map((r) => r.record.kind)).toEqual(["enforcement"]);
  });
});
