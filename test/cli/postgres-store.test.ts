// The product end to end on a PostgreSQL store, through the built CLI: `arbiter init --store`, the
// demo server deciding and limiting, `log verify`, and what an attacker with access to the database
// tries (rows deleted behind the log's back, a leaf rewritten, a second log's init on the same schema).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PgConnection } from "../../src/store/postgres/connection.js";
import { arbiter, startDemoServe, tempDir } from "../support/cli.js";
import { PG_URL, freshPgLocation } from "../support/postgres.js";

const request = (subject: string, action: string, resource: { type: string; id: string; attributes?: Record<string, unknown> }) => ({ subject: { id: subject }, action, resource });

async function decide(url: string, pep: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/decisions`, { method: "POST", headers: { authorization: `Bearer ${pep}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("a data directory whose store is in PostgreSQL", () => {
  const location = freshPgLocation();
  const data = join(tempDir(), "data");
  const sql = PgConnection.open({ ...location, schema: "public" });
  afterAll(() => sql.close());
  const count = (table: string): number => sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${location.schema}".${table}`)[0]?.n ?? -1;

  it("is created by init, decides and limits under serve, and verifies", async () => {
    const init = arbiter(["init", "--data", data, "--store", PG_URL, "--store-schema", location.schema]);
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain(`(schema ${location.schema})`);
    expect(existsSync(join(data, "arbiter.db"))).toBe(false);
    // What replicas copy holds every key they must share.
    for (const file of ["signing.key", "verifier.key", "binding.key", "token.key"]) expect(existsSync(join(data, file)), file).toBe(true);

    const server = await startDemoServe(data);
    try {
      const pep = server.keys["mcp-gateway"] as string;
      const masked = await decide(server.url, pep, request("support-agent", "query_customers", { type: "Dataset", id: "crm", attributes: { classification: "internal" } }));
      expect(masked.status).toBe(200);
      expect(masked.body).toMatchObject({ outcome: "allow", reason_code: "DATA_MASKED" });
      const codes: unknown[] = [];
      for (let i = 0; i < 6; i++) codes.push((await decide(server.url, pep, request("research-agent", "search_docs", { type: "Tool", id: "docs" }))).body.reason_code);
      expect(codes).toEqual(["POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "POLICY_PERMIT", "RATE_LIMITED"]);
      const ledger = (masked.body.ledger as { index: number }).index;
      expect(count("entries")).toBeGreaterThan(ledger);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    const verify = arbiter(["log", "verify", "--data", data, "--json"]);
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true });
  }, 120_000);

  it("refuses a second log's init on the same schema, writing nothing", () => {
    const other = join(tempDir(), "data");
    const result = arbiter(["init", "--data", other, "--store", PG_URL, "--store-schema", location.schema]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`schema ${location.schema} already holds an Arbiter store`);
    expect(existsSync(join(other, "config.json"))).toBe(false);
  });

  it("finds a leaf rewritten in the database, and refuses a log cut back behind the signed checkpoint", () => {
    const entries = count("entries");
    const size = JSON.parse(readFileSync(join(data, "latest.checkpoint"), "utf8").split("\n")[1] ?? "0") as number;
    expect(size).toBe(entries);
    const [leaf] = sql.query<{ body: Buffer }>(`SELECT body FROM "${location.schema}".entries WHERE idx = 3`);
    const original = leaf?.body as Buffer;
    const forged = Buffer.from(original.toString("utf8").replace(/"time":"[^"]*"/, '"time":"2020-01-01T00:00:00.000Z"'));
    sql.query(`UPDATE "${location.schema}".entries SET body = $1 WHERE idx = 3`, [forged]);
    const tampered = arbiter(["log", "verify", "--data", data, "--json"]);
    expect(tampered.status).not.toBe(0);
    expect(tampered.stdout + tampered.stderr).toMatch(/entry 3|index 3/);
    sql.query(`UPDATE "${location.schema}".entries SET body = $1 WHERE idx = 3`, [original]);
    expect(arbiter(["log", "verify", "--data", data]).status).toBe(0);

    sql.batch([
      { text: `DELETE FROM "${location.schema}".checkpoints WHERE size > $1`, values: [entries - 2] },
      { text: `DELETE FROM "${location.schema}".record_policies WHERE idx >= $1`, values: [entries - 2] },
      { text: `DELETE FROM "${location.schema}".record_index WHERE idx >= $1`, values: [entries - 2] },
      { text: `DELETE FROM "${location.schema}".entries WHERE idx >= $1`, values: [entries - 2] },
    ]);
    const decideAfter = arbiter(["decide", "--data", data, "--subject", "support-agent", "--action", "query_customers", "--resource", "Dataset::crm"]);
    expect(decideAfter.status).not.toBe(0);
    expect(decideAfter.stderr).toMatch(/checkpoint/i);
    expect(count("entries")).toBe(entries - 2);
  });
});
