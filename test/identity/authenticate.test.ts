// authenticate(): every success and every failure reason, produced by real keys, tokens and lifecycle changes.
import { createPrivateKey, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, calculateJwkThumbprint, decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { IdentityDirectory, TOKEN_KEY_FILE, type AuthResult } from "../../src/identity/index.js";
import { queryStore } from "../support/store.js";
import { ADMIN, START, agent, freshDirectory } from "./fixture.js";

const fx = freshDirectory({ leewaySeconds: 30 });
const { directory } = fx;

function reasonOf(result: AuthResult): string {
  return result.ok ? "ok" : result.reason;
}

async function reason(credential: string, now?: Date): Promise<string> {
  return reasonOf(await directory.authenticate(credential, now));
}

describe("API keys", () => {
  it("authenticates a fresh key to its identity", async () => {
    await agent(directory, "k1");
    const { key, credential } = await directory.issueApiKey("k1", ADMIN);
    expect(key).toMatch(/^arb_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(credential.id).toBe(`key_${key.slice(4, 20)}`);
    const result = await directory.authenticate(key);
    expect(result).toMatchObject({
      ok: true,
      auth: { identity: { id: "k1", type: "agent" }, credential: { id: credential.id, kind: "api_key", expires_at: null, acr: "api_key", auth_time: START.toISOString() }, delegation: [] },
    });
  });

  it("refuses a well-formed key that was never issued, and one with a wrong secret, as CREDENTIAL_INVALID", async () => {
    const { key } = await directory.issueApiKey("k1", ADMIN);
    expect(await reason(`arb_0123456789abcdef_${"A".repeat(43)}`)).toBe("CREDENTIAL_INVALID");
    const flipped = key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
    expect(await reason(flipped)).toBe("CREDENTIAL_INVALID");
  });

  it("refuses a revoked key with CREDENTIAL_REVOKED while the identity's other keys still work", async () => {
    const a = await directory.issueApiKey("k1", ADMIN);
    const b = await directory.issueApiKey("k1", ADMIN);
    await directory.revokeCredential(a.credential.id, ADMIN, "leaked in a log");
    const result = await directory.authenticate(a.key);
    expect(result).toMatchObject({ ok: false, reason: "CREDENTIAL_REVOKED", credentialId: a.credential.id, identity: { id: "k1" } });
    expect(await reason(b.key)).toBe("ok");
  });

  it("refuses a rotated key with CREDENTIAL_ROTATED at once, and accepts the new one", async () => {
    await agent(directory, "k2");
    const old = await directory.issueApiKey("k2", ADMIN);
    const rotated = await directory.rotateApiKey("k2", ADMIN);
    expect(rotated.replaced.map((c) => [c.id, c.status, c.replaced_by])).toEqual([[old.credential.id, "rotated", rotated.credential.id]]);
    expect(await reason(old.key)).toBe("CREDENTIAL_ROTATED");
    expect(await reason(rotated.key)).toBe("ok");
  });

  it("keeps a rotated key valid through the grace period only", async () => {
    await agent(directory, "k3");
    const old = await directory.issueApiKey("k3", ADMIN);
    await directory.rotateApiKey("k3", ADMIN, { graceSeconds: 300 });
    const during = await directory.authenticate(old.key, new Date(START.getTime() + 299_000));
    expect(during).toMatchObject({ ok: true, auth: { credential: { expires_at: new Date(START.getTime() + 300_000).toISOString() } } });
    expect(await reason(old.key, new Date(START.getTime() + 300_000))).toBe("CREDENTIAL_ROTATED");
  });
});

describe("identity state", () => {
  it("refuses every credential of a suspended identity until it is reactivated", async () => {
    await agent(directory, "s1");
    const { key } = await directory.issueApiKey("s1", ADMIN);
    const { token } = await directory.issueToken("s1", {}, ADMIN);
    await directory.suspend("s1", ADMIN);
    expect(await reason(key)).toBe("IDENTITY_SUSPENDED");
    expect(await reason(token)).toBe("IDENTITY_SUSPENDED");
    await directory.reactivate("s1", ADMIN);
    expect(await reason(key)).toBe("ok");
    expect(await reason(token)).toBe("ok");
  });

  it("says IDENTITY_REVOKED and IDENTITY_OFFBOARDED rather than the credential's own revocation", async () => {
    for (const [transition, expected] of [["revoke", "IDENTITY_REVOKED"], ["offboard", "IDENTITY_OFFBOARDED"]] as const) {
      const id = `gone-${transition}`;
      await agent(directory, id);
      const { key } = await directory.issueApiKey(id, ADMIN);
      const { token } = await directory.issueToken(id, {}, ADMIN);
      await directory[transition](id, ADMIN);
      expect(await reason(key)).toBe(expected);
      expect(await reason(token)).toBe(expected);
    }
  });

  it("refuses an identity whose owner was revoked with NO_OWNER", async () => {
    await directory.create({ id: "oscar", type: "human" }, ADMIN);
    await directory.create({ id: "orphan", type: "workload", owner: "oscar" }, ADMIN);
    const { key } = await directory.issueApiKey("orphan", ADMIN);
    await directory.revoke("oscar", ADMIN, "account compromised");
    const result = await directory.authenticate(key);
    expect(result).toMatchObject({ ok: false, reason: "NO_OWNER", identity: { id: "orphan" } });
    expect(result.ok === false && result.message).toContain("--owner");
    await directory.create({ id: "otto", type: "human" }, ADMIN);
    await directory.update("orphan", { owner: "otto" }, ADMIN);
    expect(await reason(key)).toBe("ok");
  });

  it("refuses a credential whose identity vanished from the store with UNKNOWN_PRINCIPAL", async () => {
    await agent(directory, "vanishing");
    const { key, credential } = await directory.issueApiKey("vanishing", ADMIN);
    // Identities are never deleted by Arbiter; this is someone editing the database behind its back.
    queryStore(fx.dir, "DELETE FROM identities WHERE id = 'vanishing'", [], { foreignKeys: false });
    expect(await directory.authenticate(key)).toMatchObject({ ok: false, reason: "UNKNOWN_PRINCIPAL", credentialId: credential.id });
  });
});

describe("tokens", () => {
  it("carries the claims and authenticates until exp plus the leeway, then CREDENTIAL_EXPIRED", async () => {
    await agent(directory, "t1");
    const { token, credential } = await directory.issueToken("t1", { intent: "summarise tickets", acr: "mfa", scope: ["tickets:read"] }, ADMIN);
    const claims = decodeJwt(token);
    const iat = START.getTime() / 1000;
    expect(claims).toEqual({ iss: fx.issuer, sub: "t1", aud: "arbiter", iat, exp: iat + 900, jti: credential.id, acr: "mfa", auth_time: iat, intent: "summarise tickets", scope: "tickets:read" });
    expect(credential).toMatchObject({ kind: "token", status: "active", expires_at: new Date((iat + 900) * 1000).toISOString() });
    expect(await directory.authenticate(token)).toMatchObject({
      ok: true,
      auth: { identity: { id: "t1" }, credential: { id: credential.id, kind: "token", acr: "mfa" }, delegation: [], intent: "summarise tickets", scope: ["tickets:read"] },
    });
    expect(await reason(token, new Date((iat + 929) * 1000))).toBe("ok");
    const expired = await directory.authenticate(token, new Date((iat + 931) * 1000));
    expect(expired).toMatchObject({ ok: false, reason: "CREDENTIAL_EXPIRED", credentialId: credential.id, identity: { id: "t1" } });
  });

  it("refuses a revoked token with CREDENTIAL_REVOKED", async () => {
    const { token, credential } = await directory.issueToken("t1", {}, ADMIN);
    await directory.revokeCredential(credential.id, ADMIN);
    expect(await reason(token)).toBe("CREDENTIAL_REVOKED");
  });

  it("refuses a token issued before the identity's last rotation with CREDENTIAL_ROTATED, after any grace", async () => {
    await agent(directory, "t2");
    const before = await directory.issueToken("t2", {}, ADMIN);
    fx.advance(1);
    await directory.rotateApiKey("t2", ADMIN);
    expect(await reason(before.token)).toBe("CREDENTIAL_ROTATED");
    const after = await directory.issueToken("t2", {}, ADMIN);
    expect(await reason(after.token)).toBe("ok");

    fx.advance(1);
    const graced = await directory.issueToken("t2", {}, ADMIN);
    fx.advance(1);
    await directory.rotateApiKey("t2", ADMIN, { graceSeconds: 60 });
    expect(await reason(graced.token)).toBe("ok");
    expect(await reason(graced.token, fx.advance(60))).toBe("CREDENTIAL_ROTATED");
  });

  it("refuses forged, foreign, tampered and unsigned tokens as CREDENTIAL_INVALID", async () => {
    const { token } = await directory.issueToken("t1", {}, ADMIN);
    const iat = Math.floor(fx.now().getTime() / 1000);
    const claims = decodeJwt(token);
    const { privateKey } = generateKeyPairSync("ed25519");
    const sign = (payload: Record<string, unknown>, key = privateKey) =>
      new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ: "at+jwt" }).sign(key);
    const [head, , sig] = token.split(".") as [string, string, string];
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...claims, sub: "k1" })).toString("base64url")}.${sig}`;
    const unsigned = `${Buffer.from('{"alg":"none","typ":"at+jwt"}').toString("base64url")}.${token.split(".")[1] ?? ""}.`;
    for (const bad of [await sign({ ...claims, iat, exp: iat + 60 }), tampered, unsigned, `${token}x`, token.slice(0, -2)]) {
      expect(await reason(bad), bad.slice(0, 40)).toBe("CREDENTIAL_INVALID");
    }
  });

  it("refuses a token of another issuer, audience or type, signed with the right key, as CREDENTIAL_INVALID", async () => {
    const elsewhere = new IdentityDirectory({ identities: fx.store.identities, ledger: fx.ledger, dataDir: fx.dir, issuer: "elsewhere.example", now: fx.now });
    const foreign = await elsewhere.issueToken("t1", {}, ADMIN);
    expect(await reason(foreign.token)).toBe("CREDENTIAL_INVALID");
    const { token } = await directory.issueToken("t1", {}, ADMIN);
    const claims = decodeJwt(token);
    const key = createPrivateKey(readFileSync(join(fx.dir, TOKEN_KEY_FILE), "utf8"));
    const resign = (payload: Record<string, unknown>, typ = "at+jwt") => new SignJWT(payload).setProtectedHeader({ alg: "EdDSA", typ }).sign(key);
    expect(await reason(await resign(claims))).toBe("ok");
    expect(await reason(await resign({ ...claims, aud: "someone-else" }))).toBe("CREDENTIAL_INVALID");
    expect(await reason(await resign(claims, "JWT"))).toBe("CREDENTIAL_INVALID");
    expect(await reason(await resign({ ...claims, act: { sub: "t1" } }))).toBe("CREDENTIAL_INVALID");
  });

  it("refuses garbage as CREDENTIAL_INVALID", async () => {
    for (const bad of ["", "arb_", "arb_0123_abc", "Bearer x", "a.b.c", "x".repeat(10_000), "arb_0123456789abcdef_" + "A".repeat(42), "\u0000"]) {
      expect(await reason(bad)).toBe("CREDENTIAL_INVALID");
    }
  });

  it("refuses tokens longer than the maximum TTL", async () => {
    await expect(directory.issueToken("t1", { ttlSeconds: 3601 }, ADMIN)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
    await expect(directory.issueToken("t1", { ttlSeconds: 0 }, ADMIN)).rejects.toMatchObject({ code: "REQUEST_INVALID" });
  });
});

describe("jwks", () => {
  it("publishes the Ed25519 public key with its RFC 7638 thumbprint as kid, matching the tokens' kid", async () => {
    const { keys } = directory.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(Object.keys(keys[0] ?? {})).not.toContain("d");
    expect(keys[0]?.kid).toBe(await calculateJwkThumbprint({ kty: "OKP", crv: "Ed25519", x: keys[0]?.x ?? "" }));
    const { token } = await directory.issueToken("t1", {}, ADMIN);
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as { kid: string };
    expect(header.kid).toBe(keys[0]?.kid);
  });
});
