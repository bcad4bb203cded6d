// A decision whose resource id carries a token and a card number: the record, the search index, the database
// and WAL bytes and the server's log hold neither, the answer still says what was decided, and `log verify` passes.
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { arbiter } from "../support/cli.js";
import { call, startTestServer, type TestServer } from "../support/server.js";
import { queryStore, storeContents } from "../support/store.js";

const AWS = "AKIAIOSFODNN7EXAMPLE";
const CARD = "4111111111111111";
const QUERY = `?token=${AWS}&card=${CARD}`;

const lines: string[] = [];
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ server: { logLevel: "info", logStream: { write: (line) => void lines.push(line) } } });
});

const readReport = (id: string) => ({
  subject: { credential: server.keys["research-agent"] },
  action: "read_file",
  resource: { type: "Tool", id, attributes: { server: "filesystem", sensitivity: "internal" } },
  args: { path: "/workspace/q3.md" },
  pep: { id: `gateway${QUERY}`, kind: "http" },
  correlation: { task_id: `reconcile card ${CARD}` },
});

describe("secrets in a decision request", () => {
  it("never reach the leaf, the index, the database files or the log, and the log still verifies", async () => {
    const resource = `filesystem/read_file${QUERY}`;
    const first = await call<Decision>(server, "POST", `/v1/decisions${QUERY}`, server.as.pep, readReport(resource));
    const second = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, readReport(resource));
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);

    const leaf = (index: number) => JSON.parse(server.runtime.ledger.entry(index).toString("utf8")) as { resource: { id: string }; pep: { id: string }; correlation: { task_id: string } };
    const a = leaf(first.body.ledger.index);
    const b = leaf(second.body.ledger.index);
    expect(a.resource.id).toMatch(/^filesystem\/read_file\?token=\[REDACTED:aws_access_key:[0-9a-f]{16}\]&card=\[REDACTED:payment_card:[0-9a-f]{16}\]$/);
    expect(b.resource.id).toBe(a.resource.id);
    expect(a.pep.id).toMatch(/^gateway\?token=\[REDACTED:aws_access_key:[0-9a-f]{16}\]&card=\[REDACTED/);
    expect(a.correlation.task_id).toMatch(/^reconcile card \[REDACTED:payment_card:[0-9a-f]{16}\]$/);

    const indexed = queryStore<{ resource_id: string }>(server.dir, "SELECT resource_id FROM record_index WHERE record_id = ?", [first.body.decision_id])[0]?.resource_id;
    expect(indexed).toBe(a.resource.id);
    const listed = await call<{ decisions: { resource: { id: string } }[] }>(server, "GET", "/v1/decisions?limit=5", server.as.admin);
    expect(JSON.stringify(listed.body)).not.toContain(AWS);

    await server.runtime.ledger.drain();
    const bytes = storeContents(server.dir);
    expect(bytes.includes(AWS)).toBe(false);
    expect(bytes.includes(CARD)).toBe(false);

    const verify = arbiter(["log", "verify", "--data", server.dir]);
    expect(verify.stderr).toBe("");
    expect(verify.status).toBe(0);
  });

  it("stays out of the approval, grant and break-glass tables, and a search by the id as sent still finds the records", async () => {
    const token = "AKIAJ7QWERTYUIOPASDF";
    const environment = `production?token=${token}`;
    const deploy = {
      subject: { credential: server.keys["release-pipeline"] },
      action: "deploy",
      resource: { type: "Environment", id: environment, attributes: { tier: "production" } },
      args: { version: "9.9.9" },
    };
    const held = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, deploy);
    expect(held.body).toMatchObject({ outcome: "challenge", reason_code: "APPROVAL_REQUIRED" });
    const requestId = held.body.approval_request?.id as string;
    const pending = await call<{ approvals: { id: string; resource: { id: string } }[] }>(server, "GET", "/v1/approvals?state=pending", server.as.approver);
    const listed = pending.body.approvals.find((a) => a.id === requestId);
    expect(listed?.resource.id).toMatch(/^production\?token=\[REDACTED:aws_access_key:[0-9a-f]{16}\]$/);

    const approved = await call(server, "POST", `/v1/approvals/${requestId}/approve`, server.as.approver, { justification: `checked, card ${CARD} was a test card` });
    expect(approved.status).toBe(200);
    // The grant is matched by the id as stored: the same call, sent raw again, is allowed once.
    const allowed = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, deploy);
    expect(allowed.body).toMatchObject({ outcome: "allow", reason_code: "APPROVAL_GRANTED" });

    const found = await call<{ decisions: { id: string }[] }>(server, "GET", `/v1/decisions?resource=${encodeURIComponent(environment)}&limit=10`, server.as.admin);
    expect(found.body.decisions.map((d) => d.id)).toEqual(expect.arrayContaining([held.body.decision_id, allowed.body.decision_id]));

    const glass = await call<{ session?: { id: string } }>(server, "POST", "/v1/breakglass", server.as.pep, {
      subject: { credential: server.keys.dave },
      justification: `incident 4711, paged with key ${token}`,
      duration_seconds: 600,
    });
    expect(glass.status, JSON.stringify(glass.body)).toBe(201);

    await server.runtime.ledger.drain();
    const rows = JSON.stringify([
      queryStore(server.dir, "SELECT resource_id, justification FROM approvals"),
      queryStore(server.dir, "SELECT resource_id FROM grants"),
      queryStore(server.dir, "SELECT justification FROM break_glass"),
    ]);
    expect(rows).toContain("[REDACTED:aws_access_key:");
    expect(rows).not.toContain(token);
    expect(rows).not.toContain(CARD);
    const bytes = storeContents(server.dir);
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes(CARD)).toBe(false);
  });

  it("the server's log names the route without its query string and never a credential", () => {
    const log = lines.join("");
    expect(log).toContain('"url":"/v1/decisions"');
    expect(log).not.toContain("token=");
    expect(log).not.toContain(AWS);
    expect(log).not.toContain(CARD);
    expect(log.toLowerCase()).not.toContain("authorization");
    for (const key of Object.values(server.keys)) expect(log).not.toContain(key);
  });

  it("masks a secret in a logged path", async () => {
    const answer = await call(server, "GET", `/v1/log/entries/${AWS}`, server.as.admin);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const log = lines.join("");
    expect(log).toContain('"url":"/v1/log/entries/[MASKED:aws_access_key]"');
    expect(log).not.toContain(AWS);
  });
});
