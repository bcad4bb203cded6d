// Task completion over HTTP and from another process: every token of the task is refused on the next call (TASK_COMPLETED),
// decision records carry the token's task, and only an admin or the task's owner may complete it.
import { describe, expect, it, beforeAll } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { arbiter } from "../support/cli.js";
import { call, expectRecorded, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

interface Issued {
  token: string;
  credential: { id: string; task: string | null };
}

async function issue(identity: string, task?: string): Promise<Issued> {
  const answer = await call<Issued>(server, "POST", "/v1/tokens", server.as.admin, { identity, ...(task !== undefined ? { task } : {}) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body;
}

const bearer = (credential: string): Record<string, string> => ({ authorization: `Bearer ${credential}`, "content-type": "application/json" });

async function query(token: string): Promise<Decision> {
  const answer = await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, {
    subject: { credential: token },
    action: "query_customers",
    resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } },
  });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

const complete = (task: string, headers: Record<string, string>, body: unknown = {}) => call<Record<string, unknown>>(server, "POST", `/v1/tasks/${task}/complete`, headers, body);

describe("POST /v1/tasks/:id/complete", () => {
  it("revokes every token of the task at once: the next decision is deny TASK_COMPLETED, recorded with the task", async () => {
    const first = await issue("support-agent", "case-7");
    const second = await issue("support-agent", "case-7");
    const allowed = await query(first.token);
    expect(allowed).toMatchObject({ outcome: "allow" });
    const record = await expectRecorded(server, allowed);
    expect(record.subject).toMatchObject({ id: "support-agent", credential: { id: first.credential.id, kind: "token", task: "case-7" } });

    const done = await complete("case-7", server.as.admin, { reason: "case closed" });
    expect(done).toMatchObject({ status: 200, body: { task: "case-7", owner: "support-agent", completed_by: "carol", already_completed: false } });
    expect((done.body.credentials as string[]).sort()).toEqual([first.credential.id, second.credential.id].sort());
    for (const token of [first.token, second.token]) {
      const refused = await query(token);
      expect(refused).toMatchObject({ outcome: "deny", reason_code: "TASK_COMPLETED" });
      await expectRecorded(server, refused);
    }
    // Nor can the token mint a new one by exchange.
    const exchange = await call(server, "POST", "/v1/tokens/exchange", bearer(server.keys["research-agent"] as string), { subject_token: first.token });
    expect(exchange).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
  });

  it("answers a second completion 200 already_completed, with no second record", async () => {
    const size = server.runtime.ledger.size();
    const again = await complete("case-7", server.as.admin);
    expect(again).toMatchObject({ status: 200, body: { task: "case-7", already_completed: true } });
    expect(server.runtime.ledger.size()).toBe(size);
  });

  it("answers 404 for an unknown task, 400 for an odd task id, 409 for a token of a completed task", async () => {
    expect(await complete("never-issued", server.as.admin)).toMatchObject({ status: 404, body: { code: "NOT_FOUND" } });
    for (const odd of ["..%2F..", "%00x", "-x", "a%20b", "x".repeat(80)]) {
      expect((await complete(odd, server.as.admin)).status, odd).toBe(400);
    }
    expect((await call(server, "POST", "/v1/tokens", server.as.admin, { identity: "support-agent", task: "a b" })).status).toBe(400);
    expect(await call(server, "POST", "/v1/tokens", server.as.admin, { identity: "support-agent", task: "case-7" })).toMatchObject({ status: 409, body: { code: "CONFLICT" } });
  });

  it("lets the task's owner complete its own task, and refuses a wrong role or another task's token (403, recorded)", async () => {
    const mine = await issue("research-agent", "case-8");
    const theirs = await issue("support-agent", "case-9");
    // The approver bob is no admin and owns no task; support-agent's token is for another task.
    const size = server.runtime.ledger.size();
    expect(await complete("case-8", server.as.approver)).toMatchObject({ status: 403, body: { code: "FORBIDDEN", reason_code: "ROLE_REQUIRED" } });
    expect(await complete("case-8", bearer(theirs.token))).toMatchObject({ status: 403, body: { code: "FORBIDDEN" } });
    expect(server.runtime.ledger.size()).toBe(size + 2);
    expect(await complete("case-8", {})).toMatchObject({ status: 401 });
    expect(await complete("case-8", bearer(`${mine.token}x`))).toMatchObject({ status: 401 });
    // research-agent may not query customers (NO_MATCHING_PERMIT), but its token is accepted.
    expect((await query(mine.token)).reason_code).toBe("NO_MATCHING_PERMIT");
    const own = await complete("case-8", bearer(mine.token));
    expect(own).toMatchObject({ status: 200, body: { task: "case-8", completed_by: "research-agent", credentials: [mine.credential.id] } });
    expect(await query(mine.token)).toMatchObject({ outcome: "deny", reason_code: "TASK_COMPLETED" });
    expect((await query(theirs.token)).outcome).toBe("allow");
  });

  it("sees a completion by another process (arbiter task complete on the same data directory) on the next call", async () => {
    const issued = await issue("support-agent", "case-10");
    expect((await query(issued.token)).outcome).toBe("allow");
    const cli = arbiter(["task", "complete", "case-10", "--data", server.dir, "--actor", "carol", "--reason", "done"]);
    expect(cli.stderr).toBe("");
    expect(cli.stdout).toMatch(/^task case-10 completed at \S+ by carol; revoked tok_[0-9a-f]{24}\n$/);
    expect(await query(issued.token)).toMatchObject({ outcome: "deny", reason_code: "TASK_COMPLETED" });
    // The operator cache forgets it too: the token is refused as a bearer.
    expect(await complete("case-10", bearer(issued.token))).toMatchObject({ status: 401, body: { reason_code: "TASK_COMPLETED" } });
    const again = arbiter(["task", "complete", "case-10", "--data", server.dir, "--actor", "carol"]);
    expect(again.stdout).toMatch(/^task case-10 was already completed at \S+ by carol; nothing changed\n$/);
    expect(arbiter(["task", "complete", "nope", "--data", server.dir, "--actor", "carol"]).status).not.toBe(0);
  });
});
