// The reverse proxy appends each forwarded request's enforcement record after the answer, without
// making the client wait for it. A record that cannot be appended must not vanish in silence: here the
// ledger stops accepting records while a request is at the upstream (as a full or failed disk would),
// and the missing record shows in /healthz (naming the decision) and /metrics; the server logs it too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listenProxy, type ProxyServer } from "../../../src/server/index.js";
import { bearer, raw } from "./raw.js";
import { SLOW_PATH, startHttpWorld, type HttpWorld } from "./world.js";

let world: HttpWorld;
let proxy: ProxyServer;

beforeAll(async () => {
  world = await startHttpWorld();
  proxy = await listenProxy(world.gateways.http, { host: "127.0.0.1", port: 0, limits: { bodyBytes: 4096, headerBytes: 8192, timeoutMs: 1000, maskBytes: 65536 } }, () => undefined);
}, 60_000);
afterAll(() => proxy.close());

/** Enforcement records naming the decision, from the record index (explain would need a new checkpoint, which a halted ledger does not sign). */
const enforcementsOf = (id: string) => world.runtime.ledger.reader.queryRecords({ decisionId: id, limit: 10 }).filter((r) => r.kind === "enforcement");

async function health(): Promise<{ status: string; http: { enforcement_records: { written: number; failed: number; pending: number; last_failure?: { decision_id: string; status: string; error: string } } } }> {
  return (await (await fetch(`${world.url}/healthz`)).json()) as never;
}

describe("enforcement records written behind the reverse proxy's answers", () => {
  it("are counted as written, and /healthz stays ok", async () => {
    const answer = await raw(`http://127.0.0.1:${proxy.port}`, "GET", "/docs/search?q=rotation", [bearer(world.keys["research-agent"] as string)]);
    expect(answer.status).toBe(200);
    const id = answer.headers["x-arbiter-decision-id"] as string;
    for (let i = 0; i < 200 && enforcementsOf(id).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(enforcementsOf(id)).toHaveLength(1);
    const now = await health();
    expect(now.status).toBe("ok");
    expect(now.http.enforcement_records).toMatchObject({ written: 1, failed: 0 });
  });

  it("one the ledger refuses is retried, then counted as failed and named in /healthz and /metrics", async () => {
    const before = world.upstream.received.length;
    const pending = raw(`http://127.0.0.1:${proxy.port}`, "GET", `${SLOW_PATH}/report`, [bearer(world.keys.carol as string)]);
    // The decision is durable once the request reaches the upstream; then the ledger stops taking records.
    for (let i = 0; i < 200 && world.upstream.received.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(world.upstream.received.length).toBe(before + 1);
    world.runtime.ledger.halt("test: the disk stopped accepting writes");
    const answer = await pending;
    expect(answer.status).toBe(504);
    const id = answer.headers["x-arbiter-decision-id"] as string;
    let now = await health();
    for (let i = 0; i < 200 && now.http.enforcement_records.failed === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      now = await health();
    }
    expect(now.status).toBe("degraded");
    expect(now.http.enforcement_records).toMatchObject({ written: 1, failed: 1, pending: 0, last_failure: { decision_id: id, status: "failed" } });
    expect(now.http.enforcement_records.last_failure?.error).toContain("test: the disk stopped accepting writes");
    const metrics = await (await fetch(`${world.url}/metrics`)).text();
    expect(metrics).toContain('arbiter_http_enforcement_records_total{result="failed"} 1');
    expect(metrics).toContain('arbiter_http_enforcement_records_total{result="written"} 1');
    // What an auditor sees in the ledger: the decision that let the request through, and no enforcement record for it.
    expect(world.runtime.decisions.find(id).record).toMatchObject({ outcome: "allow" });
    expect(enforcementsOf(id)).toHaveLength(0);
  });
});
