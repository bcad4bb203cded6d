// Arbiter's reverse proxy on a port of its own, over the same checks as forward-auth (src/enforce/http/proxy.ts).
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ReverseProxy, type HttpEnforcer, type ProxyLimits } from "../enforce/http/index.js";

/**
 * Longest a stopping proxy waits for requests in flight before cutting them (each is bounded by the
 * upstream timeout anyway). With several processes the primary kills a worker 30 s after asking it to
 * stop: the wait, the cut requests' records and the drain behind them must fit well inside that.
 */
const STOP_GRACE_MS = 20_000;

export interface ProxyListen {
  host: string;
  /** 0: any free port. */
  port: number;
  limits: ProxyLimits;
}

export interface ProxyServer {
  port: number;
  close(): Promise<void>;
}

export async function listenProxy(http: HttpEnforcer, listen: ProxyListen, log: (line: string) => void): Promise<ProxyServer> {
  const proxy = new ReverseProxy(http, listen.limits, log);
  // Node refuses headers past maxHeaderSize with a bare 431 nobody records; it is set well above the
  // proxy's own limit so that the proxy sees, refuses and records oversized headers itself.
  const server = createServer({ maxHeaderSize: Math.max(64 * 1024, listen.limits.headerBytes * 4), requestTimeout: listen.limits.timeoutMs * 2 }, (req, res) => proxy.handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      // No new connection, idle ones closed; the requests in flight finish (each is bounded by the
      // upstream timeout) and submit their enforcement records before the ledger is closed behind them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await proxy.settle(Math.min(listen.limits.timeoutMs + 1000, STOP_GRACE_MS)))) {
        log("arbiter proxy: stopping with requests still in flight; their connections are closed and their enforcement records say so");
        server.closeAllConnections();
        // Those cut while being decided still record why they were not forwarded.
        await proxy.settle(5000);
      }
      proxy.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
