// `arbiter serve --proxy-port` stopping (SIGTERM) with requests in flight at the upstream: they are
// answered, each enforcement record (written behind the answer) is in the ledger before the process
// exits, and `log verify` passes. A real server process, a real upstream that holds its answers.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { openRuntime } from "../../../src/runtime/index.js";
import { arbiter, startDemoServe, tempDir } from "../../support/cli.js";
import { EXAMPLES, freePort } from "./world.js";

const IN_FLIGHT = 8;
const HOLD_MS = 1500;

/** An upstream that answers each request HOLD_MS after it arrived, counting arrivals. */
async function holdingUpstream(): Promise<{ url: string; arrived: () => number }> {
  let arrived = 0;
  const server = createServer((req, res) => {
    arrived++;
    req.resume();
    req.once("end", () => setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, url: req.url })), HOLD_MS));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrived: () => arrived };
}

/** One request through the proxy on a connection of its own; the status, the decision id, and the body. */
function get(port: number, path: string, key: string): Promise<{ status: number; decisionId: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { authorization: `Bearer ${key}` }, agent: false }, (res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.once("end", () => resolve({ status: res.statusCode ?? 0, decisionId: String(res.headers["x-arbiter-decision-id"] ?? ""), body }));
      res.once("error", reject);
    });
    req.once("error", reject);
    req.end();
  });
}

describe("arbiter serve --proxy-port stopping with requests in flight", () => {
  it("answers them, writes every enforcement record before it exits, and the log verifies", async () => {
    const data = join(tempDir("arbiter-proxy-drain-"), "data");
    expect(arbiter(["init", "--data", data]).status).toBe(0);
    const upstream = await holdingUpstream();
    const routes = parseYaml(readFileSync(join(EXAMPLES, "routes.yaml"), "utf8")) as Record<string, unknown>;
    routes.unmatched = [{ prefix: "/public/", action: "search_docs", resource_type: "Tool" }];
    routes.upstreams = [{ prefix: "/", url: upstream.url }];
    writeFileSync(join(data, "routes.yaml"), stringifyYaml(routes));
    const proxyPort = await freePort();
    const server = await startDemoServe(data, { ARBITER_PROXY_PORT: String(proxyPort) });
    try {
      const carol = server.keys.carol as string;
      const answers = Array.from({ length: IN_FLIGHT }, (_, i) => get(proxyPort, `/public/report-${i}`, carol));
      // Every decision is durable once its request is at the upstream, which holds the answers.
      for (let i = 0; i < 400 && upstream.arrived() < IN_FLIGHT; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(upstream.arrived()).toBe(IN_FLIGHT);
      server.child.kill("SIGTERM");
      const answered = await Promise.all(answers);
      expect(await server.exited, server.printed()).toBe(0);
      expect(answered.map((a) => a.status)).toEqual(Array.from({ length: IN_FLIGHT }, () => 200));
      expect(answered.every((a) => a.decisionId !== "" && a.body.includes('"ok":true'))).toBe(true);

      const verified = arbiter(["log", "verify", "--data", data]);
      expect(verified.status, verified.stdout + verified.stderr).toBe(0);
      const runtime = openRuntime(data, { checkpointIntervalMs: 0 });
      try {
        for (const { decisionId } of answered) {
          const records = runtime.ledger.reader.queryRecords({ decisionId, limit: 10 });
          expect(runtime.decisions.find(decisionId).record, decisionId).toMatchObject({ outcome: "allow" });
          const enforcements = records.filter((r) => r.kind === "enforcement");
          expect(enforcements, decisionId).toHaveLength(1);
          const record = JSON.parse(runtime.ledger.entry(enforcements[0]?.index ?? -1).toString("utf8")) as unknown;
          expect(record).toMatchObject({ kind: "enforcement", decision_id: decisionId, status: "executed", upstream: { status: 200 } });
        }
      } finally {
        await runtime.close();
      }
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 60_000);
});
