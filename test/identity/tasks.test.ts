// Task-scoped tokens: a token carries its task, token exchange keeps it, and completing the task ends every token of it at once.
import { generateKeyPairSync } from "node:crypto";
import { SignJWT, decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import type { AuthResult } from "../../src/identity/index.js";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

const fx = freshDirectory();
const { directory } = fx;

const reasonOf = (result: AuthResult): string => (result.ok ? "ok" : result.reason);
const reason = async (credential: string): Promise<string> => reasonOf(await directory.authenticate(credential));

function taskRecords(): Record<string, unknown>[] {
  const size = fx.ledger.size();
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i < size; i++) {
    const record = JSON.parse(Buffer.from(fx.ledger.entry(i)).toString("utf8")) as Record<string, unknown>;
    if (record.kind === "lifecycle" && record.event === "task_completed") records.push(record);
  }
  return records;
}

describe("task-scoped tokens", () => {
  it("puts the task in its own claim (not intent), in the credential and its issue record", async () => {
    await agent(directory, "worker");
    const issued = await directory.issueToken("worker", { task: "ticket-101", intent: "read-only research" }, ADMIN);
    expect(decodeJwt(issued.token)).toMatchObject({ task: "ticket-101", intent: "read-only research" });
    expect(issued.credential.task).toBe("ticket-101");
    const auth = await directory.authenticate(issued.token);
    expect(auth).toMatchObject({ ok: true, auth: { credential: { id: issued.credential.id, task: "ticket-101" }, intent: "read-only research" } });
    expect(directory.task("ticket-101")).toMatchObject({ id: "ticket-101", owner: "worker", completed_at: null });
  });

  it("completes a task: every token issued for it is refused with TASK_COMPLETED, other tasks' tokens and API keys still work", async () => {
    await agent(directory, "helper");
    const a = await directory.issueToken("worker", { task: "ticket-202" }, ADMIN);
    const b = await directory.issueToken("helper", { task: "ticket-202" }, ADMIN);
    const other = await directory.issueToken("worker", { task: "ticket-303" }, ADMIN);
    const key = await directory.issueApiKey("worker", ADMIN);
    const before = taskRecords().length;
    const done = await directory.completeTask("ticket-202", { id: "carol", type: "human" }, "ticket closed");
    expect(done).toMatchObject({ task: "ticket-202", owner: "worker", completed_by: "carol", already_completed: false });
    expect(done.credentials.sort()).toEqual([a.credential.id, b.credential.id].sort());
    expect(await reason(a.token)).toBe("TASK_COMPLETED");
    expect(await reason(b.token)).toBe("TASK_COMPLETED");
    expect(await reason(other.token)).toBe("ok");
    expect(await reason(key.key)).toBe("ok");
    expect(directory.credentials("helper").find((c) => c.id === b.credential.id)).toMatchObject({ status: "revoked", task: "ticket-202" });
    // One record lists every credential of the task.
    const records = taskRecords();
    expect(records).toHaveLength(before + 1);
    expect(records.at(-1)).toMatchObject({ identity: { id: "worker" }, actor: { id: "carol" }, note: "ticket closed", attributes: { task: "ticket-202" } });
    expect(((records.at(-1)?.attributes as { credentials: string[] }).credentials).sort()).toEqual(done.credentials.sort());
  });

  it("answers a second completion as already done, with no second record and nothing changed", async () => {
    const before = taskRecords().length;
    const again = await directory.completeTask("ticket-202", ADMIN);
    expect(again).toMatchObject({ task: "ticket-202", already_completed: true, completed_by: "carol" });
    expect(taskRecords()).toHaveLength(before);
  });

  it("refuses a new token for a completed task, an unknown task's completion and odd task ids", async () => {
    await expect(directory.issueToken("worker", { task: "ticket-202" }, ADMIN)).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("completed") as unknown });
    await expect(directory.completeTask("no-such-task", ADMIN)).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const odd of ["", "../etc", "a b", "tâche", "x\u0000", "-dash-first", "a/b", "x".repeat(65)]) {
      await expect(directory.issueToken("worker", { task: odd }, ADMIN), JSON.stringify(odd)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
      await expect(directory.completeTask(odd, ADMIN), JSON.stringify(odd)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    }
  });

  it("keeps the subject token's task through token exchange, refuses another, and ends the exchanged token with the task", async () => {
    await agent(directory, "planner");
    const subject = await directory.issueToken("worker", { task: "ticket-404" }, ADMIN);
    const actorKey = await directory.issueApiKey("planner", ADMIN);
    const exchanged = await directory.exchangeToken({ subjectToken: subject.token, actorCredential: actorKey.key });
    expect(decodeJwt(exchanged.token)).toMatchObject({ task: "ticket-404", act: { sub: "planner" }, sub: "worker" });
    await expect(directory.exchangeToken({ subjectToken: subject.token, actorCredential: actorKey.key, task: "ticket-303" })).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    const untasked = await directory.issueToken("worker", {}, ADMIN);
    await expect(directory.exchangeToken({ subjectToken: untasked.token, actorCredential: actorKey.key, task: "ticket-303" })).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    const done = await directory.completeTask("ticket-404", ADMIN);
    expect(done.credentials).toContain(exchanged.credential.id);
    expect(await reason(exchanged.token)).toBe("TASK_COMPLETED");
    // A completed task's token cannot be exchanged for a fresh one either.
    await expect(directory.exchangeToken({ subjectToken: subject.token, actorCredential: actorKey.key })).rejects.toMatchObject({ code: "UNAUTHENTICATED", message: expect.stringContaining("TASK_COMPLETED") as unknown });
  });

  it("refuses a forged task claim: a self-signed token, and a real token's claims moved to another task", async () => {
    const real = await directory.issueToken("worker", { task: "ticket-505" }, ADMIN);
    const claims = decodeJwt(real.token);
    const { privateKey } = generateKeyPairSync("ed25519");
    const selfMade = await new SignJWT({ ...claims, task: "ticket-303" }).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt" }).sign(privateKey);
    expect(await reason(selfMade)).toBe("CREDENTIAL_INVALID");
    const [head, , sig] = real.token.split(".") as [string, string, string];
    const retasked = `${head}.${Buffer.from(JSON.stringify({ ...claims, task: "ticket-303" })).toString("base64url")}.${sig}`;
    expect(await reason(retasked)).toBe("CREDENTIAL_INVALID");
    const untasked = `${head}.${Buffer.from(JSON.stringify({ ...claims, task: undefined })).toString("base64url")}.${sig}`;
    expect(await reason(untasked)).toBe("CREDENTIAL_INVALID");
    expect(await reason(real.token)).toBe("ok");
  });
});
