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

  it("sees tokens the other connection issued, and both ledgers stay one consistent log", async () => {
    const { token } = await second.issueToken("worker", {}, ADMIN);
    expect(await first.authenticate(token)).toMatchObject({ ok: true, auth: { identity: { id: "worker" } } });
    await first.suspend("worker", ADMIN);
    await expect(second.suspend("worker", ADMIN)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(fx.ledger.size()).toBe(opened.ledger.size());
    await opened.ledger.close();
  });
});
