// A data directory that cannot be written (disk full, a lock held too long) answers 503 LEDGER_UNAVAILABLE on every route that writes, never 500.
import Database from "better-sqlite3";
import type * as NodeFs from "node:fs";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { call, startTestServer, type TestServer } from "../support/server.js";
import { liveConnection } from "../support/store.js";

/** While set, creating the token key fails as a full disk makes it fail. */
const disk = vi.hoisted(() => ({ full: false }));

vi.mock("node:fs", async (original) => {
  const fs = await original<typeof NodeFs>();
  const writeFileSync: typeof fs.writeFileSync = (file, data, options) => {
    if (disk.full && String(file).includes("token.key")) throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: "ENOSPC", errno: -28, syscall: "write" });
    fs.writeFileSync(file, data, options);
  };
  return { ...fs, default: { ...fs, writeFileSync }, writeFileSync };
});

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ busyTimeoutMs: 200 });
});

/** Holds the database's write lock, as a process stuck in a transaction (or a disk that stopped answering) would. */
async function whileLocked<T>(work: () => Promise<T>): Promise<T> {
  const blocker = new Database(join(server.dir, "arbiter.db"));
  blocker.pragma("busy_timeout = 0");
  blocker.prepare("BEGIN IMMEDIATE").run();
  try {
    return await work();
  } finally {
    blocker.prepare("ROLLBACK").run();
    blocker.close();
  }
}

const events = [{ eventTime: "2026-11-24T10:00:00Z", eventName: "GetObject", eventSource: "s3.amazonaws.com", userIdentity: { type: "IAMUser", userName: "x" } }];

describe("a data directory that cannot be written", () => {
  it("answers POST /v1/tokens 503 LEDGER_UNAVAILABLE when the token key cannot be created, and issues nothing", async () => {
    expect(existsSync(join(server.dir, "token.key"))).toBe(false);
    const before = server.runtime.ledger.size();
    disk.full = true;
    let answer;
    try {
      answer = await call(server, "POST", "/v1/tokens", server.as.admin, { identity: "research-agent" });
    } finally {
      disk.full = false;
    }
    expect(answer).toMatchObject({ status: 503, body: { code: "LEDGER_UNAVAILABLE", detail: expect.stringMatching(/^the data directory could not be written: ENOSPC/) as string } });
    expect(answer.contentType).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(answer.body)).not.toMatch(/eyJ/);
    expect(server.runtime.ledger.size()).toBe(before);
    expect((await call(server, "POST", "/v1/tokens", server.as.admin, { identity: "research-agent" })).status).toBe(201);
  });

  it("answers POST /v1/tokens 503 while the database cannot be written", async () => {
    const answer = await whileLocked(() => call(server, "POST", "/v1/tokens", server.as.admin, { identity: "research-agent" }));
    expect(answer).toMatchObject({ status: 503, body: { code: "LEDGER_UNAVAILABLE" } });
  });

  it("answers POST /v1/linkage/runs 503 LEDGER_UNAVAILABLE while the database cannot be written, and runs nothing", async () => {
    const runs = server.runtime.linkage.runs(500).length;
    const answer = await whileLocked(() => call(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "cloudtrail", events }));
    expect(answer).toMatchObject({ status: 503, body: { code: "LEDGER_UNAVAILABLE", detail: "the data directory could not be written: database is locked" } });
    expect(server.runtime.linkage.runs(500)).toHaveLength(runs);
    expect((await call(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "cloudtrail", events })).status).toBe(201);
  });

  it("answers 503 once the database file is full", async () => {
    // max_page_count holds per connection: the one the server writes through.
    const db = liveConnection(server.runtime.store);
    const limit = db.pragma("max_page_count", { simple: true }) as number;
    db.pragma(`max_page_count = ${db.pragma("page_count", { simple: true }) as number}`);
    try {
      const statuses = new Set<number>();
      // A write that still fits a page answers as usual; the first that needs a new page is refused.
      for (let i = 0; i < 20 && !statuses.has(503); i++) {
        const answer = await call(server, "POST", "/v1/linkage/runs", server.as.admin, { format: "cloudtrail", events: [{ ...events[0], eventName: `Get${"x".repeat(2000)}${i}` }] });
        statuses.add(answer.status);
        if (answer.status !== 201) expect(answer.body).toMatchObject({ status: 503, code: "LEDGER_UNAVAILABLE" });
      }
      expect(statuses.has(503)).toBe(true);
    } finally {
      db.pragma(`max_page_count = ${limit}`);
    }
  });
});
