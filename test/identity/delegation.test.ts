// Delegation: the RFC 8693 `act` mapping both ways, issued and exchanged chains, and inactive links.
import { decodeJwt } from "jose";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainOfClaims, claimsOfChain } from "../../src/identity/delegation.js";
import { MAX_DELEGATION_DEPTH } from "../../src/identity/index.js";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

describe("act claims", () => {
  it("puts the origin in sub, the acting identity in the outer act and earlier actors inside it (RFC 8693 §4.1)", () => {
    expect(claimsOfChain(["B"])).toEqual({ sub: "B" });
    expect(claimsOfChain(["A", "U"])).toEqual({ sub: "U", act: { sub: "A" } });
    expect(claimsOfChain(["B", "A", "U"])).toEqual({ sub: "U", act: { sub: "B", act: { sub: "A" } } });
  });

  it("reads back every chain it writes", () => {
    const chains = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: MAX_DELEGATION_DEPTH + 1 });
    fc.assert(
      fc.property(chains, (chain) => {
        const { sub, act } = claimsOfChain(chain);
        expect(chainOfClaims(sub, act)).toEqual(chain);
      }),
    );
  });

  it("refuses act claims that are malformed, too deep or cyclic", () => {
    let deep: unknown = undefined;
    for (let i = 0; i <= MAX_DELEGATION_DEPTH; i++) deep = deep === undefined ? { sub: `a${i}` } : { sub: `a${i}`, act: deep };
    for (const act of ["B", { act: { sub: "A" } }, { sub: 7 }, { sub: "B", act: "A" }, { sub: "U" }, { sub: "B", act: { sub: "B" } }, deep, null]) {
      expect(chainOfClaims("U", act), JSON.stringify(act)).toBeUndefined();
    }
  });
});

describe("delegated tokens", () => {
  const fx = freshDirectory();
  const { directory } = fx;

  it("issues B acting for A acting for U, and authenticates it to B with the chain nearest first", async () => {
    await directory.create({ id: "uma", type: "human" }, ADMIN);
    await agent(directory, "agent-a");
    await agent(directory, "agent-b");
    const { token } = await directory.issueToken("agent-b", { actFor: ["agent-a", "uma"], intent: "triage" }, ADMIN);
    expect(decodeJwt(token)).toMatchObject({ sub: "uma", act: { sub: "agent-b", act: { sub: "agent-a" } } });
    const result = await directory.authenticate(token);
    expect(result).toMatchObject({ ok: true, auth: { identity: { id: "agent-b" }, intent: "triage" } });
    expect(result.ok && result.auth.delegation).toEqual([
      { id: "agent-a", type: "agent", on_behalf_of: "uma" },
      { id: "uma", type: "human" },
    ]);
  });

  it("refuses the token while any link is inactive, naming the link", async () => {
    const { token } = await directory.issueToken("agent-b", { actFor: ["agent-a", "uma"] }, ADMIN);
    await directory.suspend("agent-a", ADMIN);
    const result = await directory.authenticate(token);
    expect(result).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED", identity: { id: "agent-b" } });
    expect(result.ok === false && result.message).toContain("agent-a");
    await directory.reactivate("agent-a", ADMIN);
    await directory.suspend("uma", ADMIN);
    expect(await directory.authenticate(token)).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED" });
    await directory.reactivate("uma", ADMIN);
    expect(await directory.authenticate(token)).toMatchObject({ ok: true });
  });

  it("refuses the token once a link's credentials were rotated after it was issued", async () => {
    const { token } = await directory.issueToken("agent-b", { actFor: ["agent-a"] }, ADMIN);
    fx.advance(1);
    await directory.rotateApiKey("agent-a", ADMIN);
    expect(await directory.authenticate(token)).toMatchObject({ ok: false, reason: "CREDENTIAL_ROTATED" });
  });

  it("refuses to issue chains with an inactive, unknown or repeated link, or deeper than the limit", async () => {
    await directory.suspend("agent-a", ADMIN);
    await expect(directory.issueToken("agent-b", { actFor: ["agent-a"] }, ADMIN)).rejects.toMatchObject({ code: "CONFLICT" });
    await directory.reactivate("agent-a", ADMIN);
    await expect(directory.issueToken("agent-b", { actFor: ["ghost"] }, ADMIN)).rejects.toMatchObject({ code: "IDENTITY_NOT_FOUND" });
    await expect(directory.issueToken("agent-b", { actFor: ["agent-a", "agent-b"] }, ADMIN)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    const many = ["l1", "l2", "l3", "l4", "l5", "l6"];
    for (const id of many) await agent(directory, id);
    await expect(directory.issueToken("agent-b", { actFor: many }, ADMIN)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    await expect(directory.issueToken("agent-b", { actFor: many.slice(0, 5) }, ADMIN)).resolves.toMatchObject({ credential: { kind: "token" } });
  });
});

describe("token exchange (RFC 8693)", () => {
  const fx = freshDirectory();
  const { directory } = fx;

  it("gives the actor a token for the subject, extending the subject's chain", async () => {
    await directory.create({ id: "uma", type: "human" }, ADMIN);
    await agent(directory, "agent-a");
    await agent(directory, "agent-b");
    const user = await directory.issueToken("uma", { intent: "book travel", acr: "mfa", scope: ["travel", "calendar"] }, ADMIN);
    const keyA = await directory.issueApiKey("agent-a", ADMIN);
    const aForU = await directory.exchangeToken({ subjectToken: user.token, actorCredential: keyA.key, scope: ["travel"] });
    expect(decodeJwt(aForU.token)).toMatchObject({ sub: "uma", act: { sub: "agent-a" }, intent: "book travel", scope: "travel", acr: "api_key" });

    const keyB = await directory.issueApiKey("agent-b", ADMIN);
    const bForAForU = await directory.exchangeToken({ subjectToken: aForU.token, actorCredential: keyB.key, intent: "book a train" });
    const result = await directory.authenticate(bForAForU.token);
    expect(result).toMatchObject({ ok: true, auth: { identity: { id: "agent-b" }, intent: "book a train", scope: ["travel"] } });
    expect(result.ok && result.auth.delegation).toEqual([
      { id: "agent-a", type: "agent", on_behalf_of: "uma" },
      { id: "uma", type: "human" },
    ]);
    // The exchanged token may not outlive the one it was exchanged for.
    expect(Date.parse(bForAForU.credential.expires_at ?? "")).toBeLessThanOrEqual(Date.parse(user.credential.expires_at ?? ""));
  });

  it("refuses a bad subject or actor credential, a wider scope, a cycle and an API key as subject", async () => {
    const user = await directory.issueToken("uma", { scope: ["travel"] }, ADMIN);
    const keyA = await directory.issueApiKey("agent-a", ADMIN);
    await expect(directory.exchangeToken({ subjectToken: "nope", actorCredential: keyA.key })).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { credential: "subject_token", reason: "CREDENTIAL_INVALID" } });
    await expect(directory.exchangeToken({ subjectToken: user.token, actorCredential: "nope" })).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { credential: "actor_token" } });
    await expect(directory.exchangeToken({ subjectToken: user.token, actorCredential: keyA.key, scope: ["travel", "payroll"] })).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    await expect(directory.exchangeToken({ subjectToken: keyA.key, actorCredential: keyA.key })).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    const aForU = await directory.exchangeToken({ subjectToken: user.token, actorCredential: keyA.key });
    await expect(directory.exchangeToken({ subjectToken: aForU.token, actorCredential: keyA.key })).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    await directory.suspend("agent-a", ADMIN);
    await expect(directory.exchangeToken({ subjectToken: user.token, actorCredential: keyA.key })).rejects.toMatchObject({ details: { reason: "IDENTITY_SUSPENDED" } });
  });
});
