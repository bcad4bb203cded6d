// Three `arbiter serve` replicas on one PostgreSQL store, each on its own copy of the data directory,
// as docs/deploy.md runs them: concurrent decisions through all three while one is killed, then one
// consistent log holding every acknowledged decision exactly once; a suspension made on one replica
// in force on the next call at another; a one-time grant used once across replicas; a rate limit of
// 5 an hour, activated through one replica's data directory, across replicas and CLI processes.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStoreReader } from "../../src/store/index.js";
import { ROOT, arbiter, startDemoServe, tempDir, type DemoServer } from "../support/cli.js";
import { PG_URL, freshPgLocation } from "../support/postgres.js";

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function post(server: DemoServer, path: string, key: string, body: unknown): Promise<Answer> {
  const res = await fetch(`${server.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const decision = (subject: string, action: string, type: string, id: string, attributes: Record<string, unknown> = {}) => ({ subject: { id: subject }, action, resource: { type, id, attributes } });
const DEPLOY = decision("release-pipeline", "deploy", "Environment", "production", { tier: "production" });
const SEARCH = decision("research-agent", "search_docs", "Tool", "docs");

describe("three replicas on one PostgreSQL store", () => {
  const location = freshPgLocation();
  const root = tempDir();
  const dirs = ["a", "b", "c"].map((name) => join(root, name));
  const replicas: DemoServer[] = [];
  const stop = async (server: DemoServer, signal: NodeJS.Signals = "SIGTERM"): Promise<void> => {
    if (server.child.exitCode === null) server.child.kill(signal);
    await server.exited;
  };
  afterAll(async () => {
    for (const server of replicas) await stop(server);
  });

  it("start from copies of one data directory", async () => {
    const [a, b, c] = dirs as [string, string, string];
    expect(arbiter(["init", "--data", a, "--store", PG_URL, "--store-schema", location.schema]).status).toBe(0);
    replicas.push(await startDemoServe(a));
    cpSync(a, b, { recursive: true });
    cpSync(a, c, { recursive: true });
    replicas.push(await startDemoServe(b), await startDemoServe(c));
    // One seeding: the second and third replica found the demo's identities in the store.
    expect(replicas[1]?.keys).toEqual(replicas[0]?.keys);
  }, 180_000);

  it("record every acknowledged decision exactly once in one log, while a replica is killed mid-run", async () => {
    const [a, b, c] = replicas as [DemoServer, DemoServer, DemoServer];
    const pep = a.keys["mcp-gateway"] as string;
    const calls = Array.from({ length: 90 }, (_, i) => {
      const server = [a, b, c][i % 3] as DemoServer;
      const body = i % 2 === 0 ? decision("support-agent", "delete_records", "Dataset", `crm-${i}`) : decision("support-agent", "query_customers", "Dataset", `crm-${i}`, { classification: "internal" });
      return post(server, "/v1/decisions", pep, body).catch(() => undefined);
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    a.child.kill("SIGKILL");
    const answers = await Promise.all(calls);
    await a.exited;
    const acknowledged = answers.filter((x): x is Answer => x?.status === 200).map((x) => ({ id: x.body.decision_id as string, index: (x.body.ledger as { index: number }).index }));
    // The two replicas left answered every one of theirs.
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);

    const reader = openStoreReader(location);
    try {
      const seen = new Map<string, number[]>();
      for (const entry of reader.entries(0, reader.size())) {
        const id = (JSON.parse(entry.data.toString("utf8")) as { id: string }).id;
        seen.set(id, [...(seen.get(id) ?? []), entry.index]);
      }
      for (const { id, index } of acknowledged) expect(seen.get(id), id).toEqual([index]);
    } finally {
      reader.close();
    }
    for (const dir of [dirs[1], dirs[2]] as string[]) {
      const verify = arbiter(["log", "verify", "--data", dir]);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    }
    // The killed replica comes back on its own copy and appends where the others left off.
    replicas[0] = await startDemoServe(dirs[0] as string);
    const again = await post(replicas[0], "/v1/decisions", pep, decision("support-agent", "delete_records", "Dataset", "after"));
    expect(again.status).toBe(200);
    expect((again.body.ledger as { index: number }).index).toBeGreaterThan(Math.max(...acknowledged.map((x) => x.index)));
  }, 180_000);

  it("refuse a suspended identity at every replica on the next call", async () => {
    const [a, b, c] = replicas as [DemoServer, DemoServer, DemoServer];
    const pep = a.keys["mcp-gateway"] as string;
    const before = await post(c, "/v1/decisions", pep, decision("research-agent", "delete_records", "Dataset", "x"));
    expect(before.body.reason_code).toBe("NO_MATCHING_PERMIT");
    const suspended = await post(b, "/v1/identities/research-agent/suspend", b.keys.carol as string, { reason: "INC-7: leaked key" });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    for (const server of [c, a]) {
      const after = await post(server, "/v1/decisions", pep, decision("research-agent", "delete_records", "Dataset", "x"));
      expect(after.body.reason_code).toBe("IDENTITY_SUSPENDED");
    }
    expect((await post(a, "/v1/identities/research-agent/reactivate", a.keys.carol as string, { reason: "INC-7 closed" })).status).toBe(200);
  }, 60_000);

  it("let a one-time grant approved on one replica be used once, whichever replicas race for it", async () => {
    const [a, b, c] = replicas as [DemoServer, DemoServer, DemoServer];
    const pep = a.keys["mcp-gateway"] as string;
    const held = await post(a, "/v1/decisions", pep, DEPLOY);
    expect(held.body.reason_code).toBe("APPROVAL_REQUIRED");
    const approval = (held.body.approval_request as { id: string }).id;
    const approved = await post(b, `/v1/approvals/${approval}/approve`, b.keys.bob as string, { justification: "CAB-118" });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const race = await Promise.all([a, b, c].map((server) => post(server, "/v1/decisions", pep, DEPLOY)));
    const codes = race.map((x) => x.body.reason_code).sort();
    expect(codes).toEqual(["APPROVAL_GRANTED", "APPROVAL_REQUIRED", "APPROVAL_REQUIRED"]);
  }, 60_000);

  it("hold a limit of 5 searches an hour, activated on one replica, across replicas and CLI processes", async () => {
    const [a, b, c] = replicas as [DemoServer, DemoServer, DemoServer];
    const pep = a.keys["mcp-gateway"] as string;
    // An hour, not the demo's minute: a bucket of 5 a minute refills a search every 12 s, which a
    // loaded machine can take between the first call and the sixth.
    const policies = join(root, "policies");
    cpSync(join(ROOT, "examples", "policies"), policies, { recursive: true });
    writeFileSync(join(policies, "limits.yaml"), readFileSync(join(policies, "limits.yaml"), "utf8").replace("rate: 5/minute", "rate: 5/hour"));
    const activated = arbiter(["policy", "activate", policies, "--data", dirs[2] as string, "--actor", "carol"]);
    expect(activated.status, activated.stderr).toBe(0);
    const codes: unknown[] = [];
    for (const server of [a, b, c]) codes.push((await post(server, "/v1/decisions", pep, SEARCH)).body.reason_code);
    for (const dir of [dirs[1], dirs[2], dirs[0]] as string[]) {
      const cli = arbiter(["decide", "--data", dir, "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs", "--json"]);
      codes.push((JSON.parse(cli.stdout) as { reason_code: string }).reason_code);
    }
    expect(codes).toEqual(["POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "RATE_LIMITED"]);
  }, 60_000);
});
