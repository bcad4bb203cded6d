// Floods and slow clients: a caller is authenticated before its body is read, every route has its own body limit,
// and slow headers, slow bodies and idle keep-alive connections are closed, so none of them can starve decisions.
import { join } from "node:path";
import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnArbiter, tempDir } from "../support/cli.js";
import { head, openRaw, streamUntilAnswered, trickle, type RawConnection } from "../support/raw-socket.js";
import { call, startTestServer, type TestServer } from "../support/server.js";

const MiB = 1024 * 1024;
const TWELVE_MIB = 12 * MiB;

let server: TestServer;
/** The server's side of each connection, by the client's port: what the server actually read. */
const serverSockets = new Map<number, Socket>();

beforeAll(async () => {
  server = await startTestServer({ server: { connections: { headersTimeoutMs: 1000, requestTimeoutMs: 1000, keepAliveTimeoutMs: 1000 } } });
  server.app.server.on("connection", (socket: Socket) => serverSockets.set(socket.remotePort ?? 0, socket));
});

function bytesReadByServer(conn: RawConnection): number {
  const socket = serverSockets.get(conn.localPort);
  if (!socket) throw new Error("the server never saw this connection");
  return socket.bytesRead;
}

/** A 12 MiB POST /v1/linkage/runs whose body is streamed until the server answers; what it answered and read. */
async function bigLinkageRun(headers: Record<string, string>): Promise<{ answer: string; sent: number; read: number }> {
  const conn = await openRaw(server.url);
  conn.socket.write(head("POST", "/v1/linkage/runs", { "content-type": "application/json", "content-length": TWELVE_MIB, ...headers }));
  const sent = await streamUntilAnswered(conn, TWELVE_MIB);
  await conn.closed;
  return { answer: conn.received(), sent, read: bytesReadByServer(conn) };
}

const readFile = (): Record<string, unknown> => ({
  subject: { credential: server.keys["research-agent"] as string },
  action: "read_file",
  resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } },
  args: { path: "/workspace/notes.md" },
});

describe("authentication comes before the body", () => {
  it("refuses an unauthenticated 12 MiB linkage run with 401 and closes the connection without reading the body", async () => {
    const { answer, read } = await bigLinkageRun({});
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"code":"UNAUTHENTICATED"');
    // Before, all 12 MiB were received, parsed and validated before the 401.
    expect(read).toBeLessThan(MiB);
  });

  it("refuses a wrong credential and an identity without the role the same way; the role refusal is recorded", async () => {
    const wrong = await bigLinkageRun({ authorization: "Bearer ak_not-a-key" });
    expect(wrong.answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(wrong.read).toBeLessThan(MiB);
    const agent = await bigLinkageRun({ authorization: `Bearer ${server.keys["research-agent"] ?? ""}` });
    expect(agent.answer).toMatch(/^HTTP\/1\.1 403 /);
    expect(agent.answer).toContain('"reason_code":"ROLE_REQUIRED"');
    expect(agent.read).toBeLessThan(MiB);
    const last = JSON.parse(server.runtime.ledger.entry(server.runtime.ledger.size() - 1).toString("utf8")) as Record<string, unknown>;
    expect(last).toMatchObject({ kind: "event", subject: { id: "research-agent" }, reason_code: "ROLE_REQUIRED" });
  });

  it("eight unauthenticated 12 MiB uploads at once read next to nothing while decisions keep being answered", async () => {
    const uploads = Array.from({ length: 8 }, () => bigLinkageRun({}));
    const decisions: number[] = [];
    for (let i = 0; i < 20; i += 1) decisions.push((await call(server, "POST", "/v1/decisions", server.as.pep, readFile())).status);
    const refused = await Promise.all(uploads);
    expect(decisions).toEqual(Array(20).fill(200));
    for (const upload of refused) {
      expect(upload.answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(upload.read).toBeLessThan(MiB);
    }
  });

  it("invites the body of `Expect: 100-continue` only once the caller is authenticated", async () => {
    const refused = await openRaw(server.url);
    refused.socket.write(head("POST", "/v1/identities", { "content-type": "application/json", "content-length": 1000, expect: "100-continue" }));
    expect(await refused.waitFor(/^HTTP\/1\.1 \d{3} /)).toBe(true);
    expect(refused.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(refused.received()).not.toContain("100 Continue");
    refused.socket.destroy();

    const body = JSON.stringify({ id: "continued", type: "human" });
    const admitted = await openRaw(server.url);
    admitted.socket.write(head("POST", "/v1/identities", { ...server.as.admin, "content-length": Buffer.byteLength(body), expect: "100-continue" }));
    expect(await admitted.waitFor(/^HTTP\/1\.1 100 Continue\r\n\r\n/)).toBe(true);
    admitted.socket.write(body);
    expect(await admitted.waitFor(/HTTP\/1\.1 201 /)).toBe(true);
    admitted.socket.destroy();
  });

  it("has a body limit per route: 64 KiB for the API, more for inline linkage events, refused unread above it", async () => {
    const padded = (size: number, value: Record<string, unknown>): string => JSON.stringify(value).padEnd(size, " ");
    const identity = await call(server, "POST", "/v1/identities", server.as.admin, padded(100 * 1024, { id: "padded", type: "human" }));
    expect(identity).toMatchObject({ status: 413, body: { code: "PAYLOAD_TOO_LARGE" } });
    const events = [{ eventTime: "2026-11-24T10:00:00Z", eventName: "GetObject" }];
    const linkage = await call(server, "POST", "/v1/linkage/runs", server.as.admin, padded(100 * 1024, { format: "cloudtrail", events }));
    expect(linkage.status).not.toBe(413);

    const tooBig = await openRaw(server.url);
    tooBig.socket.write(head("POST", "/v1/linkage/runs", { ...server.as.admin, "content-length": 17 * MiB }));
    const sent = await streamUntilAnswered(tooBig, 17 * MiB);
    expect(tooBig.received()).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(17 * MiB);
    tooBig.socket.destroy();
  });
});

describe("slow clients are closed", () => {
  it("closes a body sent a byte at a time once the request timeout passes (408), before the body is complete", async () => {
    const body = JSON.stringify({ id: "slow-body", type: "human" }).padEnd(400, " ");
    const conn = await openRaw(server.url);
    conn.socket.write(head("POST", "/v1/identities", { ...server.as.admin, "content-length": body.length }));
    const written = await trickle(conn, [...body], 50);
    conn.socket.destroy();
    expect(written).toBeLessThan(body.length);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect((await call(server, "GET", "/v1/identities/slow-body", server.as.admin)).status).toBe(404);
  });
});

describe("arbiter serve applies the connection settings", () => {
  const data = join(tempDir("arbiter-floods-"), "data");
  let url = "";
  let stop: () => Promise<void> = () => Promise.resolve();

  beforeAll(async () => {
    const child = spawnArbiter(["serve", "--demo", "--data", data, "--port", "0", "--log-level", "silent"], {
      ARBITER_HEADERS_TIMEOUT: "1s",
      ARBITER_REQUEST_TIMEOUT: "2s",
      ARBITER_KEEP_ALIVE_TIMEOUT: "1s",
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    stop = async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    };
    while (!/serving (http:\S+)/.test(out)) {
      if (child.exitCode !== null) throw new Error("arbiter serve exited");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    url = /serving (http:\S+)/.exec(out)?.[1] ?? "";
  });
  afterAll(async () => stop());

  it("closes a connection whose headers arrive a line at a time (slowloris) with 408", async () => {
    const conn = await openRaw(url);
    conn.socket.write("GET /healthz HTTP/1.1\r\nhost: arbiter.test\r\n");
    const lines = Array.from({ length: 400 }, (_, i) => `x-slow-${i}: 1\r\n`);
    const written = await trickle(conn, lines, 50);
    conn.socket.destroy();
    expect(written).toBeLessThan(lines.length);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle keep-alive connection after keep_alive_timeout", async () => {
    const conn = await openRaw(url);
    conn.socket.write(head("GET", "/healthz", { connection: "keep-alive" }));
    expect(await conn.waitFor(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\n/)).toBe(true);
    await Promise.race([conn.closed, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    expect(conn.isClosed()).toBe(true);
  });

  it("refuses a headers timeout longer than the request timeout, naming where each came from", async () => {
    const child = spawnArbiter(["serve", "--data", data, "--port", "0"], { ARBITER_HEADERS_TIMEOUT: "20s", ARBITER_REQUEST_TIMEOUT: "10s" });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(3);
    expect(stderr).toContain("server.headers_timeout 20s (env $ARBITER_HEADERS_TIMEOUT) must not be longer than server.request_timeout 10s (env $ARBITER_REQUEST_TIMEOUT)");
  });
});
