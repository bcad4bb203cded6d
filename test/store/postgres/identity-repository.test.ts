// PgIdentities against the real server: the identities contract the embedded store is held to
// (test/store/identity-conformance.ts), each effect applied as the ledger's commit applies it, inside
// one transaction that a CONFLICT rolls back, and the change version seen across two connections.
import { afterEach, describe, expect, it } from "vitest";
import type { Identity, IdentityEffect, NewCredential } from "../../../src/store/contracts/identities.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgIdentities } from "../../../src/store/postgres/identity-repository.js";
import { codeOf } from "../../support/errors.js";
import { freshPgConnection } from "../../support/postgres.js";

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function identity(id: string, fields: Partial<Identity> = {}): Identity {
  return {
    id, type: "human", owner: null, status: "active", display_name: null, groups: [], roles: [], attributes: {}, assertion_scope: null,
    credentials_not_before: null, credentials_grace_until: null, created_at: T0, updated_at: T0, ...fields,
  };
}

const agent = (id: string, owner: string, fields: Partial<Identity> = {}): Identity => identity(id, { type: "agent", owner, ...fields });

function key(id: string, identityId: string, at = T0): NewCredential {
  return { id, identityId, kind: "api_key", secretHash: Buffer.alloc(32, 7), createdAt: at, expiresAt: null };
}

function token(id: string, identityId: string, task: string): NewCredential {
  return { id, identityId, kind: "token", secretHash: null, createdAt: T0, expiresAt: later(900), task };
}

const open: PgConnection[] = [];

afterEach(() => {
  for (const conn of open.splice(0)) conn.close();
});

function fresh(): { conn: PgConnection; ids: PgIdentities; commit: (effects: IdentityEffect[]) => void } {
  const conn = freshPgConnection();
  open.push(conn);
  const ids = new PgIdentities(conn);
  return { conn, ids, commit: (effects) => conn.transaction(() => effects.forEach((e) => ids.apply(e))) };
}

describe("PgIdentities", () => {
  it("stores identities as given, lists them by filter in id order, and refuses a second with the same id", () => {
    const { ids, commit } = fresh();
    expect(ids.identity("alice")).toBeUndefined();
    expect(ids.holder("alice")).toBeUndefined();
    const bot = agent("bot", "alice", { display_name: "Bot", groups: ["ops"], roles: ["pep"], attributes: { team: "x", n: 2 }, assertion_scope: { types: ["agent"], groups: [], ids: [], authentication: true } });
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: bot }, { type: "identity.insert", identity: identity("Zed") }]);
    expect(ids.identity("bot")).toEqual(bot);
    expect(ids.holder("bot")).toEqual({ identity: bot, owner: { type: "human", status: "active" } });
    expect(ids.holder("alice")?.owner).toBeUndefined();
    expect(ids.list({}).map((i) => i.id)).toEqual(["Zed", "alice", "bot"]);
    expect(ids.list({ type: "agent", group: "ops" }).map((i) => i.id)).toEqual(["bot"]);
    expect(ids.list({ group: "dev" })).toEqual([]);
    expect(ids.list({ owner: "alice", status: "active" })).toEqual([bot]);
    expect(ids.list({ owner: "alice", status: "suspended" })).toEqual([]);
    expect(ids.liveOwned("alice")).toEqual(["bot"]);
    expect(codeOf(() => commit([{ type: "identity.insert", identity: identity("carol") }, { type: "identity.insert", identity: identity("alice") }]))).toBe("CONFLICT");
    expect(ids.identity("carol")).toBeUndefined();
  });

  it("refuses a change whose preconditions were read from a state that has moved on (identity.expect, owns_none)", () => {
    const { ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }]);
    const read = ids.identity("bot") as Identity;
    const expect_: IdentityEffect = { type: "identity.expect", id: "bot", status: read.status, updatedAt: read.updated_at };
    commit([expect_, { type: "identity.update", identity: { ...read, owner: "carol", display_name: "B", groups: ["g"], roles: ["pep"], attributes: { a: 1 }, updated_at: later(1) } }]);
    expect(ids.identity("bot")).toMatchObject({ owner: "carol", display_name: "B", groups: ["g"], roles: ["pep"], attributes: { a: 1 }, updated_at: later(1) });
    expect(codeOf(() => commit([expect_, { type: "identity.update", identity: { ...read, roles: ["admin"], updated_at: later(2) } }]))).toBe("CONFLICT");
    expect(codeOf(() => commit([{ type: "identity.expect", id: "bot", status: "suspended", updatedAt: later(1) }]))).toBe("CONFLICT");
    expect(codeOf(() => commit([{ type: "identity.expect", id: "nobody", status: "active", updatedAt: T0 }]))).toBe("CONFLICT");
    expect(ids.identity("bot")?.roles).toEqual(["pep"]);
    commit([{ type: "identity.update", identity: { ...read, owner: "alice", updated_at: later(3) } }]);
    expect(codeOf(() => commit([{ type: "identity.owns_none", owner: "alice" }]))).toBe("CONFLICT");
    commit([{ type: "identity.owns_none", owner: "bot" }]);
  });

  it("moves a status only from the status it was read in, revoking every credential when asked", () => {
    const { ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") },
      { type: "credential.insert", credential: key("key_1", "bot") }, { type: "credential.insert", credential: key("key_2", "bot") }]);
    commit([{ type: "credential.revoke", id: "key_2", at: later(1) }]);
    commit([{ type: "identity.set_status", id: "bot", from: "active", status: "suspended", at: later(1), revokeCredentials: false }]);
    expect(ids.identity("bot")).toMatchObject({ status: "suspended", updated_at: later(1) });
    expect(ids.credential("key_1")?.status).toBe("active");
    expect(ids.liveOwned("alice")).toEqual(["bot"]);
    const revoke: IdentityEffect = { type: "identity.set_status", id: "bot", from: "suspended", status: "revoked", at: later(2), revokeCredentials: true };
    commit([revoke]);
    expect(codeOf(() => commit([revoke]))).toBe("CONFLICT");
    expect(codeOf(() => commit([{ ...revoke, id: "nobody" }]))).toBe("CONFLICT");
    expect(ids.credential("key_1")).toMatchObject({ status: "revoked", revoked_at: later(2) });
    expect(ids.credential("key_2")).toMatchObject({ status: "revoked", revoked_at: later(1) });
    expect(ids.liveOwned("alice")).toEqual([]);
  });

  it("reads a credential with its holder and owner in one, revokes it once, and never lists a hash", () => {
    const { ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }, { type: "credential.insert", credential: key("key_1", "bot") }]);
    const found = ids.credentialWithHolder("key_1");
    expect(found?.credential).toEqual({
      id: "key_1", identity_id: "bot", kind: "api_key", status: "active", created_at: T0, expires_at: null, rotated_at: null, revoked_at: null,
      replaced_by: null, task: null, secret_hash: Buffer.alloc(32, 7),
    });
    expect(Buffer.isBuffer(found?.credential.secret_hash)).toBe(true);
    expect(found?.holder).toMatchObject({ identity: { id: "bot" }, owner: { type: "human", status: "active" } });
    expect(found?.taskCompletedAt).toBeNull();
    expect(ids.credentialWithHolder("key_none")).toBeUndefined();
    expect(ids.credential("key_1")?.secret_hash?.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(ids.credential("key_none")).toBeUndefined();
    expect(ids.credentialsOf("bot").map((c) => Object.keys(c).includes("secret_hash"))).toEqual([false]);
    commit([{ type: "credential.revoke", id: "key_1", at: later(1) }]);
    expect(codeOf(() => commit([{ type: "credential.revoke", id: "key_1", at: later(2) }]))).toBe("CONFLICT");
    expect(codeOf(() => commit([{ type: "credential.revoke", id: "key_none", at: later(2) }]))).toBe("CONFLICT");
    expect(ids.credential("key_1")).toMatchObject({ status: "revoked", revoked_at: later(1) });
    expect(ids.credentialWithHolder("key_1")?.credential.status).toBe("revoked");
  });

  it("rotates exactly the active keys it was given, and refuses a rotation that raced another", () => {
    const { ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "credential.insert", credential: key("key_b", "alice") },
      { type: "credential.insert", credential: key("key_a", "alice") }]);
    expect(ids.activeKeysOf("alice")).toEqual(["key_a", "key_b"]);
    const rotate = (replaced: string[], next: string): IdentityEffect[] => [
      { type: "api_key.rotate", identityId: "alice", replaced, replacedBy: next, at: later(1), validUntil: later(61), graceUntil: later(61) },
      { type: "credential.insert", credential: key(next, "alice", later(1)) },
    ];
    expect(codeOf(() => commit(rotate(["key_a"], "key_c")))).toBe("CONFLICT");
    expect(ids.activeKeysOf("alice")).toEqual(["key_a", "key_b"]);
    commit(rotate(["key_a", "key_b"], "key_c"));
    expect(codeOf(() => commit(rotate(["key_a", "key_b"], "key_d")))).toBe("CONFLICT");
    expect(ids.activeKeysOf("alice")).toEqual(["key_c"]);
    expect(ids.credential("key_a")).toMatchObject({ status: "rotated", rotated_at: later(1), expires_at: later(61), replaced_by: "key_c" });
    expect(ids.identity("alice")).toMatchObject({ credentials_not_before: later(1), credentials_grace_until: later(61), updated_at: later(1) });
    expect(ids.credentialsOf("alice").map((c) => c.id)).toEqual(["key_a", "key_b", "key_c"]);
    commit([{ type: "api_key.rotate", identityId: "alice", replaced: ["key_c"], replacedBy: "key_e", at: later(2), validUntil: later(2), graceUntil: null }]);
    expect(ids.identity("alice")).toMatchObject({ credentials_not_before: later(2), credentials_grace_until: null });
  });

  it("opens a task once, completes it once with exactly its credentials, and then refuses it a new token", () => {
    const { ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }]);
    commit([{ type: "task.open", id: "t-1", owner: "bot", at: T0 }, { type: "credential.insert", credential: token("tok_1", "bot", "t-1") }]);
    commit([{ type: "task.open", id: "t-1", owner: "alice", at: later(1) }, { type: "credential.insert", credential: token("tok_2", "bot", "t-1") }]);
    expect(ids.task("t-1")).toEqual({ id: "t-1", owner: "bot", created_at: T0, completed_at: null, completed_by: null });
    expect(ids.credentialsOfTask("t-1").map((c) => c.id)).toEqual(["tok_1", "tok_2"]);
    expect(codeOf(() => commit([{ type: "task.complete", id: "t-1", at: later(2), by: "alice", credentials: ["tok_1"] }]))).toBe("CONFLICT");
    expect(ids.task("t-1")?.completed_at).toBeNull();
    commit([{ type: "task.complete", id: "t-1", at: later(2), by: "alice", credentials: ["tok_1", "tok_2"] }]);
    expect(ids.task("t-1")).toMatchObject({ completed_at: later(2), completed_by: "alice" });
    expect(ids.credentialsOfTask("t-1").map((c) => c.status)).toEqual(["revoked", "revoked"]);
    expect(ids.credentialWithHolder("tok_1")?.taskCompletedAt).toBe(later(2));
    expect(codeOf(() => commit([{ type: "task.complete", id: "t-1", at: later(3), by: "alice", credentials: ["tok_1", "tok_2"] }]))).toBe("CONFLICT");
    const reopen = (): void => commit([{ type: "task.open", id: "t-1", owner: "bot", at: later(3) }, { type: "credential.insert", credential: token("tok_3", "bot", "t-1") }]);
    expect(codeOf(reopen)).toBe("CONFLICT");
    expect(ids.credential("tok_3")).toBeUndefined();
    expect(ids.task("t-none")).toBeUndefined();
    expect(ids.credentialsOfTask("t-none")).toEqual([]);
    // As in the embedded store: a task nobody opened, with no credentials, completes as a no-op.
    commit([{ type: "task.complete", id: "t-none", at: later(4), by: "alice", credentials: [] }]);
    expect(ids.task("t-none")).toBeUndefined();
  });

  it("refuses a task.open with the reason a completed task gets no new token", () => {
    const { conn, ids, commit } = fresh();
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "task.open", id: "t-1", owner: "alice", at: T0 }]);
    commit([{ type: "task.complete", id: "t-1", at: later(1), by: "alice", credentials: [] }]);
    const err = (() => {
      try {
        conn.transaction(() => ids.apply({ type: "task.open", id: "t-1", owner: "alice", at: later(2) }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toMatchObject({ code: "CONFLICT", details: { task: "t-1", reason_code: "TASK_COMPLETED" } });
  });

  it("moves its change version on every identity change it commits, and not on checks", () => {
    const { ids, commit } = fresh();
    const before = ids.changeVersion();
    expect(ids.changeVersion()).toBe(before);
    commit([{ type: "identity.insert", identity: identity("alice") }]);
    const inserted = ids.changeVersion();
    expect(inserted).not.toBe(before);
    commit([{ type: "identity.owns_none", owner: "alice" }, { type: "identity.expect", id: "alice", status: "active", updatedAt: T0 }]);
    expect(ids.changeVersion()).toBe(inserted);
    commit([{ type: "credential.insert", credential: key("key_1", "alice") }]);
    expect(ids.changeVersion()).not.toBe(inserted);
  });

  it("never answers an earlier change version again, even when a change it saw inside a transaction rolls back", () => {
    const { conn, ids } = fresh();
    const seen = [ids.changeVersion()];
    expect(codeOf(() => conn.transaction(() => {
      ids.apply({ type: "identity.insert", identity: identity("alice") });
      seen.push(ids.changeVersion());
      ids.apply({ type: "identity.insert", identity: identity("alice") });
    }))).toBe("CONFLICT");
    seen.push(ids.changeVersion());
    expect(new Set(seen).size).toBe(3);
  });

  it("sees a revocation committed through another connection on its next call", () => {
    const { conn, commit } = fresh();
    const other = PgConnection.open(conn.location);
    open.push(other);
    const replica = new PgIdentities(other);
    commit([{ type: "identity.insert", identity: identity("alice") }, { type: "credential.insert", credential: key("key_1", "alice") }]);
    const version = replica.changeVersion();
    expect(replica.credentialWithHolder("key_1")?.credential.status).toBe("active");
    expect(replica.changeVersion()).toBe(version);
    commit([{ type: "credential.revoke", id: "key_1", at: later(1) }]);
    expect(replica.changeVersion()).not.toBe(version);
    expect(replica.credentialWithHolder("key_1")?.credential).toMatchObject({ status: "revoked", revoked_at: later(1) });
  });
});
