// `arbiter serve --workers N` through the real CLI: several deciding processes on one data directory,
// one consistent ledger, single-use grants and shared rate limits across them, a killed process replaced.
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { arbiter, startDemoServe, tempDir, type DemoServer } from "../support/cli.js";

const search = (agent: string, i: number) => ({
  subject: { id: agent },
  action: "search_docs",
  resource: { type: "Tool", id: `docs/search-${i}`, attributes: { server: "docs", sensitivity: "public" } },
});
const query = (i: number) => ({
  subject: { id: "support-agent" },
  action: "query_customers",
  resource: { type: "Dataset", id: `crm-${i}`, attributes: { classification: i % 3 === 0 ? "restricted" : "internal" } },
});

async function decide(server: DemoServer, body: unknown, key = server.keys["mcp-gateway"] as string, signal?: AbortSignal): Promise<Decision> {
  const answer = await fetch(`${server.url}/v1/decisions`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  const text = await answer.text();
  if (answer.status !== 200) throw new Error(`${answer.status}: ${text}`);
  return JSON.parse(text) as Decision;
}

/**
 * A decision that must be answered within `ms`, or the test fails saying a connection was left open
 * unanswered (what Node's round-robin handoff does to a connection given to a process that just
 * died). A connection the killed process held is reset; it is retried on a new one, as a PEP does.
 */
async function decideAnswered(server: DemoServer, body: unknown, ms = 15_000): Promise<Decision> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await decide(server, body, undefined, AbortSignal.timeout(ms));
    } catch (err) {
      if (err instanceof Error && err.name === "TimeoutError") throw new Error(`no answer within ${ms} ms: a connection was left open and unanswered`, { cause: err });
      // fetch rejects a reset connection with a TypeError ("fetch failed").
      if (attempt < 2 && err instanceof TypeError) continue;
      throw err;
    }
  }
}

/** The deciding processes the primary forked (its children), by pid. */
function children(server: DemoServer): number[] {
  let out = "";
  try {
    out = execFileSync("ps", ["-o", "pid=", "--ppid", String(server.child.pid)], { encoding: "utf8" });
  } catch {
    // ps exits 1 when no process matches.
  }
  return out.split("\n").map((line) => Number(line.trim())).filter((pid) => pid > 0);
}

async function stop(server: DemoServer): Promise<void> {
  server.child.kill("SIGTERM");
  expect(await server.exited, server.printed()).toBe(0);
}

/** After the server stopped: the log verifies, and every acknowledged decision is in it exactly once, at its index. */
function expectEachOnce(data: string, decisions: readonly Decision[]): void {
  const verified = arbiter(["log", "verify", "--data", data]);
  expect(verified.status, verified.stdout + verified.stderr).toBe(0);
  const runtime = openRuntime(data, { checkpointIntervalMs: 0 });
  try {
    const indexes = decisions.map((d) => d.ledger.index);
    expect(new Set(indexes).size).toBe(decisions.length);
    const ids = new Map<string, number>();
    for (let i = 0; i < runtime.ledger.size(); i++) {
      const record = JSON.parse(runtime.ledger.entry(i).toString("utf8")) as { id: string };
      ids.set(record.id, (ids.get(record.id) ?? 0) + 1);
    }
    for (const decision of decisions) {
      expect(ids.get(decision.decision_id), decision.decision_id).toBe(1);
      expect((JSON.parse(runtime.ledger.entry(decision.ledger.index).toString("utf8")) as { id: string }).id).toBe(decision.decision_id);
    }
  } finally {
    void runtime.close();
  }
}

describe.each([2, 3])("arbiter serve --workers %i", (workers) => {
  it("decides concurrently in every process into one tree that log verify passes, each decision once", async () => {
    const data = join(tempDir("arbiter-workers-"), "data");
    const server = await startDemoServe(data, { ARBITER_WORKERS: String(workers) });
    try {
      expect(server.printed()).toContain(`${workers} deciding processes`);
      expect(children(server)).toHaveLength(workers);
      const decisions = await Promise.all(Array.from({ length: 90 }, (_, i) => decide(server, query(i))));
      expect(decisions.filter((d) => d.outcome === "allow").length).toBeGreaterThan(0);
      await stop(server);
      expectEachOnce(data, decisions);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);
});

describe("arbiter serve --workers 3: state shared by the processes", () => {
  it("lets an approved one-time grant through exactly once when the same call arrives at every process at once, holds a rate limit across them, and a suspension reaches them all", async () => {
    const data = join(tempDir("arbiter-workers-"), "data");
    const server = await startDemoServe(data, { ARBITER_WORKERS: "3" });
    try {
      const deploy = { subject: { credential: server.keys["release-pipeline"] }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } }, args: { version: "2.0.0" } };
      const held = await decide(server, deploy);
      expect(held).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
      const approved = await fetch(`${server.url}/v1/approvals/${held.approval_request?.id ?? ""}/approve`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.keys.bob ?? ""}`, "content-type": "application/json" },
        body: JSON.stringify({ justification: "release 2.0.0 reviewed" }),
      });
      expect(approved.status).toBe(200);
      const attempts = await Promise.all(Array.from({ length: 12 }, () => decide(server, deploy)));
      expect(attempts.filter((d) => d.reason_code === "APPROVAL_GRANTED")).toHaveLength(1);
      expect(attempts.filter((d) => d.outcome === "allow")).toHaveLength(1);

      // examples/policies/limits.yaml: agents search 5 times a minute, counted in the data directory's database.
      const searches = await Promise.all(Array.from({ length: 20 }, (_, i) => decide(server, search("research-agent", i))));
      expect(searches.filter((d) => d.outcome === "allow")).toHaveLength(5);
      expect(searches.filter((d) => d.reason_code === "RATE_LIMITED")).toHaveLength(15);

      // A suspension made through one process refuses the identity on the next call in every process.
      const allowedBefore = await Promise.all(Array.from({ length: 9 }, (_, i) => decide(server, query(3 * i + 1))));
      expect(allowedBefore.every((d) => d.outcome === "allow")).toBe(true);
      const suspended = await fetch(`${server.url}/v1/identities/support-agent/suspend`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.keys.carol ?? ""}`, "content-type": "application/json" },
        body: JSON.stringify({ reason: "key seen in a public repository" }),
      });
      expect(suspended.status).toBe(200);
      const refused = await Promise.all(Array.from({ length: 9 }, (_, i) => decide(server, query(3 * i + 1))));
      expect(refused.filter((d) => d.outcome === "allow")).toEqual([]);
      await stop(server);
      expectEachOnce(data, [held, ...attempts, ...searches, ...allowedBefore, ...refused]);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);

  it("replaces a deciding process that is killed, and keeps answering meanwhile", async () => {
    const data = join(tempDir("arbiter-workers-"), "data");
    const server = await startDemoServe(data, { ARBITER_WORKERS: "2" });
    try {
      const before = children(server);
      expect(before).toHaveLength(2);
      const victim = before[0] as number;
      // Killed while a burst of new connections is being handed out: none may be left hanging.
      let answered = 0;
      const burst = Promise.all(Array.from({ length: 48 }, (_, i) => decideAnswered(server, query(2000 + i)).finally(() => answered++)));
      while (answered === 0) await new Promise((r) => setImmediate(r));
      process.kill(victim, "SIGKILL");
      const decisions: Decision[] = await burst;
      // Decisions keep being answered by the survivor while the primary forks a replacement.
      const said = `deciding process ${victim} exited (SIGKILL); starting another`;
      const replaced = (): boolean => {
        if (!server.printed().includes(said)) return false;
        const now = children(server);
        return now.length === 2 && !now.includes(victim);
      };
      for (let i = 0; i < 400 && !replaced(); i++) {
        decisions.push(await decideAnswered(server, query(i)));
        await new Promise((r) => setTimeout(r, 25));
      }
      const after = children(server);
      expect(after).toHaveLength(2);
      expect(after).not.toContain(victim);
      expect(server.printed()).toContain(said);
      decisions.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => decideAnswered(server, query(1000 + i))))));
      await stop(server);
      expect(children(server)).toEqual([]);
      expectEachOnce(data, decisions);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);

  it("halts every deciding process when the primary's background verify finds the ledger unsafe", async () => {
    const data = join(tempDir("arbiter-workers-"), "data");
    const server = await startDemoServe(data, { ARBITER_WORKERS: "3", ARBITER_VERIFY_INTERVAL: "200ms" });
    try {
      expect((await decide(server, query(1))).outcome).toBe("allow");
      rmSync(join(data, "arbiter.db"));
      const post = async (): Promise<number> =>
        (await fetch(`${server.url}/v1/decisions`, { method: "POST", headers: { authorization: `Bearer ${server.keys["mcp-gateway"] ?? ""}`, "content-type": "application/json" }, body: JSON.stringify(query(1)) })).status;
      // Wait (doubling, no wall-clock assertion) until a decision is refused, then every one is, whichever process answers.
      let status = 200;
      for (let wait = 50; status === 200 && wait < 20_000; wait *= 2) {
        await new Promise((r) => setTimeout(r, wait));
        status = await post();
      }
      expect(status).toBe(503);
      const statuses = await Promise.all(Array.from({ length: 24 }, () => post()));
      expect(statuses.filter((s) => s !== 503)).toEqual([]);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);
});
