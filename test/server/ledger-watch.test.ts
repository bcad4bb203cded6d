// The background verify of a running server: a row edited under it (an old one), the database file deleted,
// or replaced by an older copy, turns /healthz to 503 naming what failed, sets the metric, and stops
// recording, so that decisions are refused (fail closed) as a server started on such a ledger is.
import Database from "better-sqlite3";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, serveSeeded, type SeededServer } from "../support/server.js";

const ROUND_MS = 100;

async function watchedServer(): Promise<SeededServer & { dir: string; pep: Record<string, string> }> {
  const dir = join(tempDir("arbiter-watch-"), "data");
  const seeded = await serveSeeded(dir, {
    origin: "test.arbiter.example/watch",
    identities: PEOPLE_AND_MACHINES,
    policies: DEMO_POLICIES,
    runtime: { watch: { intervalMs: ROUND_MS, fullIntervalMs: 3 * ROUND_MS } },
  });
  return { ...seeded, dir, pep: { authorization: `Bearer ${seeded.keys.gateway ?? ""}`, "content-type": "application/json" } };
}

interface Health {
  status: number;
  contentType: string;
  body: Record<string, unknown> & { verify?: { state: string; rounds: { full: number; incremental: number }; problem?: { check: string; message: string; index?: number } } };
}

async function health(server: SeededServer): Promise<Health> {
  const response = await fetch(`${server.url}/healthz`);
  return { status: response.status, contentType: response.headers.get("content-type") ?? "", body: (await response.json()) as Health["body"] };
}

/** Polls /healthz until `done` holds; fails after a generous deadline (never asserts how long it took). */
async function until(server: SeededServer, done: (h: Health) => boolean): Promise<Health> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const h = await health(server);
    if (done(h)) return h;
    if (Date.now() > deadline) throw new Error(`/healthz never got there: ${JSON.stringify(h.body)}`);
    await new Promise((resolve) => setTimeout(resolve, ROUND_MS / 2));
  }
}

async function decide(server: SeededServer & { pep: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/v1/decisions`, {
    method: "POST",
    headers: server.pep,
    body: JSON.stringify({ subject: { credential: server.keys["support-agent"] }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function metric(server: SeededServer, name: string): Promise<string | undefined> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split("\n").find((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
}

async function expectRefusing(server: SeededServer & { pep: Record<string, string> }, check: string): Promise<Health> {
  const degraded = await until(server, (h) => h.status !== 200);
  expect(degraded).toMatchObject({ status: 503, body: { code: "LEDGER_CORRUPT", health: "degraded", verify: { state: "tampered", problem: { check } } } });
  expect(degraded.contentType).toContain("application/problem+json");
  expect(String(degraded.body.detail)).toContain(degraded.body.verify?.problem?.message ?? "?");
  expect(await metric(server, "arbiter_ledger_verify_ok")).toBe("arbiter_ledger_verify_ok 0");
  const refused = await decide(server);
  expect(refused).toMatchObject({ status: 503, body: { code: "LEDGER_UNAVAILABLE", outcome: "error", reason_code: "DECISION_ERROR" } });
  expect(String(refused.body.detail)).toMatch(/failed its background verification/);
  return degraded;
}

describe("background verify in a running server", () => {
  it("answers ok with the verify's progress while nothing is wrong, and the metric says so", async () => {
    const server = await watchedServer();
    expect((await decide(server)).status).toBe(200);
    const ok = await until(server, (h) => (h.body.verify?.rounds.full ?? 0) >= 2 && (h.body.verify?.rounds.incremental ?? 0) >= 1);
    expect(ok).toMatchObject({ status: 200, body: { status: "ok", verify: { state: "ok" } } });
    expect(await metric(server, "arbiter_ledger_verify_ok")).toBe("arbiter_ledger_verify_ok 1");
    expect(await metric(server, "arbiter_ledger_verify_rounds_total")).toMatch(/^arbiter_ledger_verify_rounds_total\{kind="(incremental|full)"\} [1-9]/);
    expect((await decide(server)).status).toBe(200);
  });

  it("notices an old row edited by another connection (the full verify), then refuses decisions", async () => {
    const server = await watchedServer();
    for (let i = 0; i < 3; i++) expect((await decide(server)).status).toBe(200);
    await until(server, (h) => h.body.verify?.state === "ok");
    const db = new Database(join(server.dir, "arbiter.db"));
    const body = db.prepare("SELECT body FROM entries WHERE idx = 2").pluck().get() as Buffer;
    const edited = Buffer.from(body);
    edited.writeUInt8(edited.readUInt8(edited.length - 2) ^ 0x01, edited.length - 2);
    db.prepare("UPDATE entries SET body = ? WHERE idx = 2").run(edited);
    db.close();
    const degraded = await expectRefusing(server, "full");
    expect(degraded.body.verify?.problem?.index).toBe(2);
  });

  it("notices the database file deleted under it", async () => {
    const server = await watchedServer();
    await until(server, (h) => h.body.verify?.state === "ok");
    rmSync(join(server.dir, "arbiter.db"));
    const degraded = await expectRefusing(server, "file");
    expect(degraded.body.verify?.problem?.message).toMatch(/was deleted/);
  });

  it("notices the database file replaced by an older copy of itself", async () => {
    const server = await watchedServer();
    const older = join(server.dir, "older.db");
    const db = new Database(join(server.dir, "arbiter.db"));
    db.prepare("VACUUM INTO ?").run(older);
    db.close();
    for (let i = 0; i < 3; i++) expect((await decide(server)).status).toBe(200);
    await until(server, (h) => h.body.verify?.state === "ok");
    renameSync(older, join(server.dir, "arbiter.db"));
    const degraded = await expectRefusing(server, "file");
    expect(degraded.body.verify?.problem?.message).toMatch(/was replaced by another file/);
  });
});
