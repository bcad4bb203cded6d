// A real HTTP receiver on a free port: what webhooks got, and how it answers (status, delay, or no answer until released).
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** How the next requests are answered: a status, after a delay. */
  answer: { status: number; delayMs: number };
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(port = 0, path = "/hooks/approvals"): Promise<Receiver> {
  const received: Received[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const answer = { status: 200, delayMs: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      waiters = waiters.filter((w) => (received.length >= w.count ? (w.resolve(), false) : true));
      const { status, delayMs } = answer;
      const timer = setTimeout(() => res.writeHead(status, { "content-type": "text/plain" }).end("ok"), delayMs);
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}${path}`,
    port: bound,
    received,
    answer,
    waitFor: (count) =>
      received.length >= count ? Promise.resolve(received) : new Promise((resolve) => waiters.push({ count, resolve: () => resolve(received) })),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
