// One suite every store runs (SQLite now, PostgreSQL with the scale-out work): the ledger's order and
// reads, the tables beside it written only as StoreEffects committed with an entry, the limit
// counters, the linkage tables, the notify outbox and the stream positions. `open` gives a fresh,
// empty store, wrapped in the Ledger as the product wraps it.
import { describe, expect, it } from "vitest";
import { CountedLimits } from "../../src/decide/index.js";
import type { Ledger } from "../../src/ledger/index.js";
import { ArbiterError } from "../../src/record/index.js";
import type {
  ApprovalRepository,
  BreakGlassRepository,
  GrantRepository,
  IdentityRepository,
  LimitCounterTable,
  LinkageRepository,
  NewApprovalRequest,
  NewGrant,
  NotifyOutboxRepository,
  PolicyActivation,
  PolicyRepository,
  StoreEffect,
  StreamPositionRepository,
} from "../../src/store/index.js";
import { limitStoreSuite } from "../decide/limit-store-suite.js";
import { identityConformance } from "./identity-conformance.js";
import { linkageConformance } from "./linkage-conformance.js";
import { notifyOutboxConformance } from "./notify-outbox-conformance.js";
import { refusedCode } from "../support/errors.js";
import { commitWith, freshStore } from "./conformance-support.js";

export interface StoreUnderTest {
  ledger: Ledger;
  grants: GrantRepository;
  approvals: ApprovalRepository;
  breakGlass: BreakGlassRepository;
  policies: PolicyRepository;
  identities: IdentityRepository;
  limits: LimitCounterTable;
  linkage: LinkageRepository;
  notifyOutbox: NotifyOutboxRepository;
  streamPositions: StreamPositionRepository;
  close(): Promise<void>;
}

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const binding = { subjectId: "bot", action: "deploy", resourceType: "service", resourceId: "svc-1", argsDigest: "hmac-sha256:00" };

function newGrant(id: string, uses: number, expiresAt = later(600)): NewGrant {
  return { id, approvalId: null, subjectType: "pipeline", usesRemaining: uses, createdAt: T0, expiresAt, ...binding };
}

function newRequest(id: string, createdAt = T0): NewApprovalRequest {
  return {
    id, requesterId: binding.subjectId, requesterType: "pipeline", requesterOwner: "alice", action: binding.action,
    resourceType: binding.resourceType, resourceId: binding.resourceId, argsDigest: binding.argsDigest, policyVersion: "v1",
    gatePolicy: "gate", approverRole: "approver", allowOwner: false, grantUses: 1, grantTtlSeconds: 600, decisionId: `d-${id}`,
    createdAt, expiresAt: later(3600),
  };
}

const commit = (s: StoreUnderTest, i: number, effects: StoreEffect[]): Promise<number> => commitWith(s.ledger, i, effects);

export function storeConformance(name: string, open: () => Promise<StoreUnderTest> | StoreUnderTest): void {
  describe(`${name}: the store contract`, () => {
    const withStore = freshStore(open);

    it("numbers entries 0..n-1 in the order they were appended, and reads what is not there as undefined", withStore(async (s) => {
      const indexes = await Promise.all([0, 1, 2, 3, 4].map((i) => commit(s, i, [])));
      expect(indexes).toEqual([0, 1, 2, 3, 4]);
      expect(s.ledger.size()).toBe(5);
      const store = s.ledger.reader;
      expect(JSON.parse(store.entry(3)?.toString() ?? "null")).toMatchObject({ resource: { id: "svc-3" } });
      expect(store.entry(5)).toBeUndefined();
      expect(store.entry(-1)).toBeUndefined();
      expect([...store.entries(0, 5)].map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
      expect(store.locateRecord("no-such-record")).toBeUndefined();
      expect(store.checkpointAt(5)).toBeUndefined();
      expect(s.grants.get("no-such-grant")).toBeUndefined();
      expect(s.approvals.get("no-such-request")).toBeUndefined();
      expect(s.breakGlass.get("no-such-session")).toBeUndefined();
    }));

    it("stores nothing of an entry whose effect is refused, and nothing of the effects before the refused one", withStore(async (s) => {
      await commit(s, 0, []);
      const code = await refusedCode(commit(s, 1, [{ type: "grant.insert", grant: newGrant("g-rolled-back", 1) }, { type: "grant.consume", id: "no-such-grant", at: T0 }]));
      expect(code).toBe("CONFLICT");
      expect(s.ledger.size()).toBe(1);
      expect(s.grants.get("g-rolled-back")).toBeUndefined();
      expect(s.ledger.reader.queryRecords({ resourceId: "svc-1", limit: 10 })).toEqual([]);
      expect(await commit(s, 2, [])).toBe(1);
    }));

    it("lets a one-use grant be used exactly once, even by concurrent appends", withStore(async (s) => {
      await commit(s, 0, [{ type: "grant.insert", grant: newGrant("g-once", 1) }]);
      expect(s.grants.usableFor(binding, new Date(T0))).toMatchObject({ id: "g-once", usesRemaining: 1, state: "issued" });
      const results = await Promise.allSettled([1, 2, 3].map((i) => commit(s, i, [{ type: "grant.consume", id: "g-once", at: later(1) }])));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const codes = results.flatMap((r) => (r.status === "rejected" && r.reason instanceof ArbiterError ? [r.reason.code] : []));
      expect(codes).toEqual(["CONFLICT", "CONFLICT"]);
      expect(s.ledger.size()).toBe(2);
      expect(s.grants.get("g-once")).toMatchObject({ usesRemaining: 0, state: "used" });
      expect(s.grants.usableFor(binding, new Date(later(2)))).toBeUndefined();
      expect(s.grants.list({ state: "used", limit: 10 }).map((g) => g.id)).toEqual(["g-once"]);
    }));

    it("counts a grant's uses down, refuses it past its expiry, and revokes it once", withStore(async (s) => {
      await commit(s, 0, [{ type: "grant.insert", grant: newGrant("g-two", 2, later(60)) }]);
      await commit(s, 1, [{ type: "grant.consume", id: "g-two", at: later(1) }]);
      expect(s.grants.get("g-two")).toMatchObject({ usesRemaining: 1, state: "issued" });
      expect(await refusedCode(commit(s, 2, [{ type: "grant.consume", id: "g-two", at: later(60) }]))).toBe("CONFLICT");
      expect(s.grants.usableFor(binding, new Date(later(60)))).toBeUndefined();
      expect(s.grants.expiredFor(binding, new Date(later(60)))).toMatchObject({ id: "g-two" });
      expect(s.grants.list({ state: "expired", limit: 10, now: new Date(later(60)) }).map((g) => g.id)).toEqual(["g-two"]);
      await commit(s, 3, [{ type: "grant.revoke", id: "g-two" }]);
      expect(await refusedCode(commit(s, 4, [{ type: "grant.revoke", id: "g-two" }]))).toBe("CONFLICT");
      expect(s.grants.get("g-two")?.state).toBe("revoked");
    }));

    it("decides an approval request once, and finds the newest request of a call", withStore(async (s) => {
      await commit(s, 0, [{ type: "approval.insert", request: newRequest("r-1") }]);
      await commit(s, 1, [{ type: "approval.insert", request: newRequest("r-2", later(5)) }]);
      expect(s.approvals.latestFor(binding)?.id).toBe("r-2");
      expect(s.approvals.list({ limit: 10 }).map((r) => r.id)).toEqual(["r-2", "r-1"]);
      const decide = (i: number, approver: string): Promise<number> =>
        commit(s, i, [{ type: "approval.decide", id: "r-1", state: "approved", at: later(10), approver, justification: "ok" }, { type: "grant.insert", grant: newGrant(`g-${approver}`, 1) }]);
      const results = await Promise.allSettled([decide(2, "carol"), decide(3, "dave")]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const winner = s.approvals.get("r-1");
      expect(winner).toMatchObject({ state: "approved", justification: "ok", decidedAt: later(10) });
      // The loser's grant went with its refused entry.
      expect([s.grants.get("g-carol"), s.grants.get("g-dave")].filter((g) => g !== undefined).map((g) => g.id)).toEqual([`g-${winner?.approver ?? ""}`]);
      expect(s.approvals.list({ state: "pending", limit: 10, now: new Date(later(10)) }).map((r) => r.id)).toEqual(["r-2"]);
    }));

    it("opens one break-glass session per identity at a time, counts its decisions, ends and reviews it once", withStore(async (s) => {
      const session = { id: "bg-1", identityId: "alice", justification: "outage", startedAt: T0, expiresAt: later(900) };
      await commit(s, 0, [{ type: "break_glass.open", session }]);
      expect(await refusedCode(commit(s, 1, [{ type: "break_glass.open", session: { ...session, id: "bg-2" } }]))).toBe("CONFLICT");
      await commit(s, 2, [{ type: "break_glass.use", id: "bg-1" }, { type: "break_glass.use", id: "bg-1" }]);
      expect(s.breakGlass.activeFor("alice", new Date(later(1)))).toMatchObject({ id: "bg-1", decisionCount: 2 });
      await commit(s, 3, [{ type: "break_glass.end", id: "bg-1", at: later(5) }]);
      expect(await refusedCode(commit(s, 4, [{ type: "break_glass.end", id: "bg-1", at: later(6) }]))).toBe("CONFLICT");
      expect(s.breakGlass.activeFor("alice", new Date(later(6)))).toBeUndefined();
      expect(s.breakGlass.list({ unreviewed: true, limit: 10 }).map((x) => x.id)).toEqual(["bg-1"]);
      await commit(s, 5, [{ type: "break_glass.review", id: "bg-1", at: later(7), reviewer: "bob", note: "fine" }]);
      expect(await refusedCode(commit(s, 6, [{ type: "break_glass.review", id: "bg-1", at: later(8), reviewer: "bob", note: "again" }]))).toBe("CONFLICT");
      expect(await refusedCode(commit(s, 7, [{ type: "break_glass.review", id: "bg-none", at: later(8), reviewer: "bob", note: "?" }]))).toBe("CONFLICT");
      expect(s.breakGlass.list({ unreviewed: true, limit: 10 })).toEqual([]);
      expect(s.breakGlass.get("bg-1")).toMatchObject({ reviewer: "bob", reviewNote: "fine", endedAt: later(5) });
    }));

    it("activates policy versions one after another, refusing an activation that did not start from the active one", withStore(async (s) => {
      expect(s.policies.activeVersion()).toBeNull();
      expect(s.policies.version("sha256:none")).toBeUndefined();
      const activation = (version: string, previous: string | null, seconds: number): PolicyActivation =>
        ({ version, content: `{"v":"${version}"}`, sources: "{}", previous, actor: '{"id":"dana","type":"human"}', at: later(seconds), recordId: `rec-${version}-${seconds}` });
      // An activation moves the change counter (what remembers the active version checks it); a refused one does not.
      const unactivated = s.identities.changeVersion();
      await commit(s, 0, [{ type: "policy.activate", activation: activation("v1", null, 0) }]);
      const activated = s.identities.changeVersion();
      expect(activated).not.toBe(unactivated);
      expect(await refusedCode(commit(s, 0, [{ type: "policy.activate", activation: activation("v2", "v0", 1) }]))).toBe("CONFLICT");
      expect(s.identities.changeVersion()).toBe(activated);
      const results = await Promise.allSettled([
        commit(s, 1, [{ type: "policy.activate", activation: activation("v2", "v1", 1) }]),
        commit(s, 2, [{ type: "policy.activate", activation: activation("v3", "v1", 1) }]),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      const winner = s.policies.activeVersion();
      expect(["v2", "v3"]).toContain(winner);
      expect(s.policies.versions().map((v) => v.version)).toEqual([winner, "v1"]);
      await commit(s, 3, [{ type: "policy.activate", activation: activation("v1", winner, 5) }]);
      expect(s.policies.activeVersion()).toBe("v1");
      expect(s.policies.versions()).toHaveLength(2);
      expect(s.policies.activations().map((a) => [a.version, a.previous])).toEqual([["v1", winner], [winner, "v1"], ["v1", null]]);
      expect(s.policies.version("v1")).toEqual({ version: "v1", content: '{"v":"v1"}', sources: "{}", createdAt: later(0) });
    }));

    it("refuses an erasure that would delete other than the count its record states", withStore(async (s) => {
      await commit(s, 0, []);
      const code = await refusedCode(commit(s, 1, [{ type: "raw_values.erase", selector: { subjectId: "bot-0" }, expected: 3 }]));
      expect(code).toBe("CONFLICT");
      expect(s.ledger.size()).toBe(1);
      expect(await commit(s, 2, [{ type: "raw_values.erase", selector: { subjectId: "bot-0" }, expected: 0 }])).toBe(1);
    }));

    it("keeps one stream position per sink that only moves forward", withStore((s) => {
      const positions = s.streamPositions;
      expect(positions.next("nats")).toBe(0);
      positions.advance("nats", 3, new Date(T0));
      positions.advance("otlp", 7, new Date(T0));
      expect([positions.next("nats"), positions.next("otlp"), positions.next("file")]).toEqual([3, 7, 0]);
      positions.advance("nats", 2, new Date(later(1)));
      positions.advance("nats", 3, new Date(later(2)));
      expect(positions.next("nats")).toBe(3);
      positions.advance("nats", 10, new Date(later(3)));
      expect([positions.next("nats"), positions.next("otlp")]).toEqual([10, 7]);
    }));
  });

  identityConformance(name, open);
  linkageConformance(name, open);
  notifyOutboxConformance(name, open);
  limitStoreSuite(`${name} counters`, async () => new CountedLimits((await open()).limits));
}
