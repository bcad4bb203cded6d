// NATS being unreachable never fails or holds a decision; the backlog it leaves is visible in /metrics.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, serveSeeded } from "../support/server.js";
import { freePort } from "./nats-server.js";

function metric(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{sink="nats"} `));
  return Number(line?.split(" ")[1] ?? Number.NaN);
}

describe("a sink that is down", () => {
  it("answers every decision and shows the growing backlog, the failures and the last published index in /metrics", async () => {
    const lines: string[] = [];
    // Nothing listens on this port: every connection attempt is refused.
    const deadUrl = `nats://127.0.0.1:${await freePort()}`;
    const dir = join(tempDir("arbiter-stream-down-"), "data");
    const { url, keys } = await serveSeeded(dir, {
      origin: "test.arbiter.example/ledger",
      identities: PEOPLE_AND_MACHINES,
      policies: DEMO_POLICIES,
      runtime: { streaming: { nats: { servers: deadUrl, subjectPrefix: "arbiter.records", stream: "ARBITER_RECORDS", ackTimeoutMs: 500 }, maxBacklog: 10, pollMs: 10, maxRetryMs: 1000, log: (l) => lines.push(l) } },
    });
    const request = { subject: { credential: keys["research-agent"] }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path: "/workspace/notes.md" } };
    const headers = { authorization: `Bearer ${keys.gateway ?? ""}`, "content-type": "application/json" };
    const answers = await Promise.all(Array.from({ length: 20 }, () => fetch(`${url}/v1/decisions`, { method: "POST", headers, body: JSON.stringify(request) })));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    const decisions = (await Promise.all(answers.map((a) => a.json()))) as Decision[];
    expect(decisions.every((d) => d.outcome === "allow")).toBe(true);
    const last = Math.max(...decisions.map((d) => d.ledger.index));

    let text = "";
    for (let i = 0; i < 200 && !(metric(text, "arbiter_stream_failures_total") > 0); i++) {
      text = await (await fetch(`${url}/metrics`)).text();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(metric(text, "arbiter_stream_failures_total")).toBeGreaterThan(0);
    expect(metric(text, "arbiter_stream_backlog")).toBe(last + 1);
    expect(metric(text, "arbiter_stream_published_total")).toBe(0);
    expect(metric(text, "arbiter_stream_last_published_index")).toBe(-1);
    expect(metric(text, "arbiter_stream_in_flight")).toBeLessThanOrEqual(10);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("127.0.0.1");
    expect(lines[0]).toMatch(/^stream nats: .*retrying with backoff up to 1000 ms$/);
  });
});
