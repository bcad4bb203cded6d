// An HTTP upstream's requests share the session's abort signal without piling listeners on it, and closing
// the session still aborts a request or a stream in flight.
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionScopedFetch } from "../../../src/enforce/mcp/session-fetch.js";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === "/empty") {
      response.writeHead(202, { "content-length": "0" }).end();
    } else if (request.url === "/stream") {
      // An event stream that stays open, as an upstream's SSE answer does while a call runs.
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: first\n\n");
    } else {
      response.writeHead(200, { "content-type": "application/json" }).end('{"jsonrpc":"2.0","id":1,"result":{}}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const listeners = (signal: AbortSignal): number => getEventListeners(signal, "abort").length;

describe("sessionScopedFetch", () => {
  it("leaves no listener on the session's signal once each answer is read, however many requests the session makes", async () => {
    const session = new AbortController();
    const scoped = sessionScopedFetch();
    let most = 0;
    for (let i = 0; i < 2000; i++) {
      const answer = await scoped(`${base}/call`, { method: "POST", body: "{}", signal: session.signal });
      most = Math.max(most, listeners(session.signal));
      expect(await answer.json()).toMatchObject({ result: {} });
      expect(listeners(session.signal)).toBe(0);
    }
    expect(most).toBe(1);
    const empty = await scoped(`${base}/empty`, { method: "POST", signal: session.signal });
    expect(empty.status).toBe(202);
    expect(listeners(session.signal)).toBe(0);
  });

  it("aborts a stream in flight when the session closes, and lets go of it", async () => {
    const session = new AbortController();
    const answer = await sessionScopedFetch()(`${base}/stream`, { signal: session.signal });
    const reader = (answer.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("first");
    expect(listeners(session.signal)).toBe(1);
    session.abort(new Error("session closed"));
    await expect(reader.read()).rejects.toThrow();
    expect(listeners(session.signal)).toBe(0);
  });

  it("lets go when the reader cancels the stream or the request fails", async () => {
    const session = new AbortController();
    const scoped = sessionScopedFetch();
    const answer = await scoped(`${base}/stream`, { signal: session.signal });
    await answer.body?.cancel();
    expect(listeners(session.signal)).toBe(0);
    await expect(scoped("http://127.0.0.1:1/mcp", { method: "POST", signal: session.signal })).rejects.toThrow();
    expect(listeners(session.signal)).toBe(0);
  });

  it("does not start a request on a session already closed", async () => {
    const session = new AbortController();
    session.abort(new Error("closed"));
    await expect(sessionScopedFetch()(`${base}/call`, { method: "POST", signal: session.signal })).rejects.toThrow("closed");
    expect(listeners(session.signal)).toBe(0);
  });
});
