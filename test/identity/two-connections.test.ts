// Changes made through a second SQLite connection (another process on the same data directory) take effect at once.
import { describe, expect, it } from "vitest";
import { IdentityDirectory } from "../../src/identity/index.js";
import { openLedger } from "../../src/ledger/index.js";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

const fx = freshDirectory();
const first = fx.directory;
const opened = openLedger(fx.dir, { checkpointIntervalMs: 0 });
const second = new IdentityDirectory({ identities: opened.store.identities, ledger: opened.ledger, dataDir: fx.dir, issuer: opened.config.origin, now: fx.now });

describe("a second connection", () => {
  it("revokes, rotates and suspends while the first authenticates, effective on the next call", async () => {
    await agent(first, "worker");
    const key = await first.issueApiKey("worker", ADMIN);
    const { token, credential } = await first.issueToken("worker", {}, ADMIN);
    expect((await first.authenticate(key.key)).ok).toBe(true);
    expect((await first.authenticate(token)).ok).toBe(true);

    await second.revokeCredential(credential.id, ADMIN);
    expect(await first.authenticate(token)).toMatchObject({ ok: false, reason: "CREDENTIAL_REVOKED" });

    const rotated = await second.rotateApiKey("worker", ADMIN);
    expect(await first.authenticate(key.key)).toMatchObject({ ok: false, reason: "CREDENTIAL_ROTATED" });
    expect((await first.authenticate(rotated.key)).ok).toBe(true);

    await second.suspend("worker", ADMIN);
    expect(await first.authenticate(rotated.key)).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED" });
    await second.reactivate("worker", ADMIN);
    expect((await first.authenticate(rotated.key)).ok).toBe(true);
  });

  it("a caller named by credential (subject.credential) is remembered only until the other connection changes it", async () => {
    await agent(first, "caller-bot");
    const key = await first.issueApiKey("caller-bot", ADMIN);
    const { token, credential } = await first.issueToken("caller-bot", {}, ADMIN);
    const caller = (credential: string) => first.resolve({ credential });
    // Twice each: the second answer comes from what the directory remembered.
    for (let i = 0; i < 2; i++) {
      expect(await caller(key.key)).toMatchObject({ ok: true, subject: { identity: { id: "caller-bot" }, method: "api_key" } });
      expect(await caller(token)).toMatchObject({ ok: true, subject: { identity: { id: "caller-bot" }, method: "token" } });
    }

    await second.revokeCredential(credential.id, ADMIN);
    expect(await caller(token)).toMatchObject({ ok: false, reason: "CREDENTIAL_REVOKED" });
    expect((await caller(key.key)).ok).toBe(true);

    await second.suspend("caller-bot", ADMIN);
    expect(await caller(key.key)).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED" });
    await second.reactivate("caller-bot", ADMIN);
    expect((await caller(key.key)).ok).toBe(true);

    // A change of what policy reads (groups, attributes) reaches the next decision too.
    await second.update("caller-bot", { groups: ["finance"] }, ADMIN);
    expect(await caller(key.key)).toMatchObject({ ok: true, subject: { identity: { groups: ["finance"] } } });

    const rotated = await second.rotateApiKey("caller-bot", ADMIN);
    expect(await caller(key.key)).toMatchObject({ ok: false, reason: "CREDENTIAL_ROTATED" });
    expect((await caller(rotated.key)).ok).toBe(true);
    // A wrong secret for a remembered key's id is not the remembered key.
    const forged = `${rotated.key.slice(0, -4)}${rotated.key.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    expect(await caller(forged)).toMatchObject({ ok: false, reason: "CREDENTIAL_INVALID" });
  });

  it("a caller named by id (subject.id) is remembered with its owner only until the other connection changes either", async () => {
    await agent(first, "named-bot", "nora");
    const named = () => first.resolve({ id: "named-bot" });
    for (let i = 0; i < 2; i++) expect(await named()).toMatchObject({ ok: true, subject: { identity: { id: "named-bot", groups: [] }, method: "asserted" } });

    await second.update("named-bot", { groups: ["finance"] }, ADMIN);
    expect(await named()).toMatchObject({ ok: true, subject: { identity: { groups: ["finance"] } } });
    await second.suspend("named-bot", ADMIN);
    expect(await named()).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED" });
    await second.reactivate("named-bot", ADMIN);
    expect((await named()).ok).toBe(true);
    // Its owner leaving is seen too (nobody is accountable for it any more), and so is a new owner.
    await second.revoke("nora", ADMIN);
    expect(await named()).toMatchObject({ ok: false, reason: "NO_OWNER" });
    await second.update("named-bot", { owner: "olivia" }, ADMIN);
    expect(await named()).toMatchObject({ ok: true, subject: { identity: { owner: "olivia" } } });
    await second.revoke("named-bot", ADMIN);
    expect(await named()).toMatchObject({ ok: false, reason: "IDENTITY_REVOKED" });
    // An id nobody holds is refused every time, and not kept.
    for (let i = 0; i < 2; i++) expect(await first.resolve({ id: "no-such-bot" })).toMatchObject({ ok: false, reason: "UNKNOWN_PRINCIPAL" });
  });

  it("a remembered API key was authenticated when it is presented; a remembered token keeps its own auth_time", async () => {
    await agent(first, "fresh-bot");
    const key = await first.issueApiKey("fresh-bot", ADMIN);
    const { token } = await first.issueToken("fresh-bot", {}, ADMIN);
    const authTime = async (credential: string) => {
      const resolved = await first.resolve({ credential });
      if (!resolved.ok) throw new Error(resolved.message);
      return resolved.subject.authTime;
    };
    const keyFirst = await authTime(key.key);
    const tokenFirst = await authTime(token);
    fx.advance(120);
    expect(await authTime(key.key)).toBe(fx.now().toISOString());
    expect(await authTime(key.key)).not.toBe(keyFirst);
    expect(await authTime(token)).toBe(tokenFirst);
  });

  it("sees tokens the other connection issued, and both ledgers stay one consistent log", async () => {
    const { token } = await second.issueToken("worker", {}, ADMIN);
    expect(await first.authenticate(token)).toMatchObject({ ok: true, auth: { identity: { id: "worker" } } });
    await first.suspend("worker", ADMIN);
    await expect(second.suspend("worker", ADMIN)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(fx.ledger.size()).toBe(opened.ledger.size());
    await opened.ledger.close();
  });
});
