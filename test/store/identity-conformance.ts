// The identity part of the store conformance suite: identities, credentials and tasks, written only as
// StoreEffects committed with an entry, read back as the contract says, and refused when the state moved on.
import { describe, expect, it } from "vitest";
import type { Ledger } from "../../src/ledger/index.js";
import type { Identity, IdentityRepository, NewCredential, StoreEffect } from "../../src/store/index.js";
import { refusedCode } from "../support/errors.js";
import { commitWith, freshStore } from "./conformance-support.js";

export interface IdentityStoreUnderTest {
  ledger: Ledger;
  identities: IdentityRepository;
  close(): Promise<void>;
}

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

export function identityConformance(name: string, open: () => Promise<IdentityStoreUnderTest> | IdentityStoreUnderTest): void {
  describe(`${name}: the identities contract`, () => {
    let n = 0;
    const commit = (s: IdentityStoreUnderTest, effects: StoreEffect[]): Promise<number> => commitWith(s.ledger, n++, effects);
    const withStore = freshStore(open);

    it("stores identities as given, lists them by filter in id order, and refuses a second with the same id", withStore(async (s) => {
      expect(s.identities.identity("alice")).toBeUndefined();
      expect(s.identities.holder("alice")).toBeUndefined();
      const bot = agent("bot", "alice", { groups: ["ops"], roles: ["pep"], attributes: { team: "x" }, assertion_scope: { types: ["agent"], groups: [], ids: [], authentication: true } });
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: bot }]);
      expect(s.identities.identity("bot")).toEqual(bot);
      expect(s.identities.holder("bot")).toEqual({ identity: bot, owner: { type: "human", status: "active" } });
      expect(s.identities.holder("alice")?.owner).toBeUndefined();
      expect(s.identities.list({}).map((i) => i.id)).toEqual(["alice", "bot"]);
      expect(s.identities.list({ type: "agent", group: "ops" }).map((i) => i.id)).toEqual(["bot"]);
      expect(s.identities.list({ owner: "alice", status: "suspended" })).toEqual([]);
      expect(s.identities.liveOwned("alice")).toEqual(["bot"]);
      const size = s.ledger.size();
      expect(await refusedCode(commit(s, [{ type: "identity.insert", identity: identity("carol") }, { type: "identity.insert", identity: identity("alice") }]))).toBe("CONFLICT");
      expect(s.ledger.size()).toBe(size);
      expect(s.identities.identity("carol")).toBeUndefined();
    }));

    it("refuses a change whose preconditions were read from a state that has moved on (identity.expect, owns_none)", withStore(async (s) => {
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }]);
      const read = s.identities.identity("bot") as Identity;
      const expect_: StoreEffect = { type: "identity.expect", id: "bot", status: read.status, updatedAt: read.updated_at };
      await commit(s, [expect_, { type: "identity.update", identity: { ...read, roles: ["pep"], updated_at: later(1) } }]);
      expect(s.identities.identity("bot")?.roles).toEqual(["pep"]);
      // The same expectation again: the row moved on (its updated_at), so the second change is refused.
      expect(await refusedCode(commit(s, [expect_, { type: "identity.update", identity: { ...read, roles: ["admin"], updated_at: later(2) } }]))).toBe("CONFLICT");
      expect(await refusedCode(commit(s, [{ type: "identity.expect", id: "nobody", status: "active", updatedAt: T0 }]))).toBe("CONFLICT");
      expect(s.identities.identity("bot")?.roles).toEqual(["pep"]);
      expect(await refusedCode(commit(s, [{ type: "identity.owns_none", owner: "alice" }]))).toBe("CONFLICT");
      await commit(s, [{ type: "identity.owns_none", owner: "bot" }]);
    }));

    it("moves a status only from the status it was read in, revoking every credential when asked", withStore(async (s) => {
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }, { type: "credential.insert", credential: key("key_1", "bot") }]);
      await commit(s, [{ type: "identity.set_status", id: "bot", from: "active", status: "suspended", at: later(1), revokeCredentials: false }]);
      expect(s.identities.identity("bot")).toMatchObject({ status: "suspended", updated_at: later(1) });
      expect(s.identities.liveOwned("alice")).toEqual(["bot"]);
      const twice = [1, 2].map(() => commit(s, [{ type: "identity.set_status", id: "bot", from: "suspended", status: "revoked", at: later(2), revokeCredentials: true }]));
      const results = await Promise.allSettled(twice);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(s.identities.credential("key_1")).toMatchObject({ status: "revoked", revoked_at: later(2) });
      expect(s.identities.liveOwned("alice")).toEqual([]);
    }));

    it("reads a credential with its holder and owner in one, revokes it once, and never lists a hash", withStore(async (s) => {
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }, { type: "credential.insert", credential: key("key_1", "bot") }]);
      const found = s.identities.credentialWithHolder("key_1");
      expect(found?.credential).toMatchObject({ id: "key_1", identity_id: "bot", kind: "api_key", status: "active", task: null });
      expect(found?.credential.secret_hash?.equals(Buffer.alloc(32, 7))).toBe(true);
      expect(found?.holder).toMatchObject({ identity: { id: "bot" }, owner: { type: "human", status: "active" } });
      expect(found?.taskCompletedAt).toBeNull();
      expect(s.identities.credentialWithHolder("key_none")).toBeUndefined();
      expect(s.identities.credentialsOf("bot").map((c) => Object.keys(c).includes("secret_hash"))).toEqual([false]);
      await commit(s, [{ type: "credential.revoke", id: "key_1", at: later(1) }]);
      expect(await refusedCode(commit(s, [{ type: "credential.revoke", id: "key_1", at: later(2) }]))).toBe("CONFLICT");
      expect(await refusedCode(commit(s, [{ type: "credential.revoke", id: "key_none", at: later(2) }]))).toBe("CONFLICT");
      expect(s.identities.credential("key_1")).toMatchObject({ status: "revoked", revoked_at: later(1) });
    }));

    it("rotates exactly the active keys it was given, and refuses a rotation that raced another", withStore(async (s) => {
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "credential.insert", credential: key("key_a", "alice") }]);
      expect(s.identities.activeKeysOf("alice")).toEqual(["key_a"]);
      const rotate = (next: string): StoreEffect[] => [
        { type: "api_key.rotate", identityId: "alice", replaced: ["key_a"], replacedBy: next, at: later(1), validUntil: later(61), graceUntil: later(61) },
        { type: "credential.insert", credential: key(next, "alice", later(1)) },
      ];
      const results = await Promise.allSettled([commit(s, rotate("key_b")), commit(s, rotate("key_c"))]);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      const [winner] = s.identities.activeKeysOf("alice");
      expect(["key_b", "key_c"]).toContain(winner);
      expect(s.identities.credential("key_a")).toMatchObject({ status: "rotated", rotated_at: later(1), expires_at: later(61), replaced_by: winner });
      expect(s.identities.identity("alice")).toMatchObject({ credentials_not_before: later(1), credentials_grace_until: later(61), updated_at: later(1) });
      expect(s.identities.credentialsOf("alice").map((c) => c.id)).toEqual(["key_a", winner]);
    }));

    it("opens a task once, completes it once with exactly its credentials, and then refuses it a new token", withStore(async (s) => {
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }, { type: "identity.insert", identity: agent("bot", "alice") }]);
      await commit(s, [{ type: "task.open", id: "t-1", owner: "bot", at: T0 }, { type: "credential.insert", credential: token("tok_1", "bot", "t-1") }]);
      await commit(s, [{ type: "task.open", id: "t-1", owner: "alice", at: later(1) }, { type: "credential.insert", credential: token("tok_2", "bot", "t-1") }]);
      expect(s.identities.task("t-1")).toEqual({ id: "t-1", owner: "bot", created_at: T0, completed_at: null, completed_by: null });
      expect(s.identities.credentialsOfTask("t-1").map((c) => c.id)).toEqual(["tok_1", "tok_2"]);
      expect(await refusedCode(commit(s, [{ type: "task.complete", id: "t-1", at: later(2), by: "alice", credentials: ["tok_1"] }]))).toBe("CONFLICT");
      await commit(s, [{ type: "task.complete", id: "t-1", at: later(2), by: "alice", credentials: ["tok_1", "tok_2"] }]);
      expect(s.identities.task("t-1")).toMatchObject({ completed_at: later(2), completed_by: "alice" });
      expect(s.identities.credentialsOfTask("t-1").map((c) => c.status)).toEqual(["revoked", "revoked"]);
      expect(s.identities.credentialWithHolder("tok_1")?.taskCompletedAt).toBe(later(2));
      expect(await refusedCode(commit(s, [{ type: "task.complete", id: "t-1", at: later(3), by: "alice", credentials: ["tok_1", "tok_2"] }]))).toBe("CONFLICT");
      expect(await refusedCode(commit(s, [{ type: "task.open", id: "t-1", owner: "bot", at: later(3) }, { type: "credential.insert", credential: token("tok_3", "bot", "t-1") }]))).toBe("CONFLICT");
      expect(s.identities.credential("tok_3")).toBeUndefined();
      expect(s.identities.task("t-none")).toBeUndefined();
    }));

    it("moves its change version on every identity change it commits", withStore(async (s) => {
      const before = s.identities.changeVersion();
      expect(s.identities.changeVersion()).toBe(before);
      await commit(s, [{ type: "identity.insert", identity: identity("alice") }]);
      const inserted = s.identities.changeVersion();
      expect(inserted).not.toBe(before);
      await commit(s, [{ type: "credential.insert", credential: key("key_1", "alice") }]);
      expect(s.identities.changeVersion()).not.toBe(inserted);
    }));
  });
}
