// Approval requests on PostgreSQL: opened pending, found by their exact call, listed by the state
// they show at a time, and decided once, even by two replicas at the same moment.
import { describe, expect, it } from "vitest";
import type { NewApprovalRequest } from "../../../src/store/contracts/approvals.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgApprovals } from "../../../src/store/postgres/approval-repository.js";
import { expectCode } from "../../support/errors.js";
import { freshPgConnection } from "../../support/postgres.js";
import { otherReplica, waitUntilSomeoneWaitsOn } from "./other-replica.js";

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const binding = { subjectId: "bot", action: "deploy", resourceType: "service", resourceId: "svc-1", argsDigest: "hmac-sha256:00" };

function newRequest(id: string, createdAt = T0, expiresAt = later(3600)): NewApprovalRequest {
  return {
    id, requesterId: binding.subjectId, requesterType: "pipeline", requesterOwner: "alice", action: binding.action,
    resourceType: binding.resourceType, resourceId: binding.resourceId, argsDigest: binding.argsDigest, policyVersion: "v1",
    gatePolicy: "gate", approverRole: "approver", allowOwner: false, grantUses: 1, grantTtlSeconds: 600, decisionId: `d-${id}`,
    createdAt, expiresAt,
  };
}

function withApprovals(test: (approvals: PgApprovals, conn: PgConnection) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const conn = freshPgConnection();
    try {
      await test(new PgApprovals(conn), conn);
    } finally {
      conn.close();
    }
  };
}

describe("PgApprovals", () => {
  it("reads what is not there as undefined", withApprovals((approvals) => {
    expect(approvals.get("no-such-request")).toBeUndefined();
    expect(approvals.latestFor(binding)).toBeUndefined();
    expect(approvals.list({ limit: 10 })).toEqual([]);
  }));

  it("opens a request pending and reads it back whole", withApprovals((approvals, conn) => {
    conn.transaction(() => approvals.insert({ ...newRequest("r-1"), allowOwner: true, requesterOwner: null }));
    expect(approvals.get("r-1")).toEqual({
      ...newRequest("r-1"), allowOwner: true, requesterOwner: null, state: "pending", decidedAt: null, approver: null, justification: null,
    });
    expect(() => conn.transaction(() => approvals.insert(newRequest("r-1")))).toThrow(/duplicate key/);
    expect(conn.inTransaction).toBe(false);
  }));

  it("finds the newest request of exactly this call, the last inserted when two share a millisecond", withApprovals((approvals, conn) => {
    conn.transaction(() => {
      approvals.insert(newRequest("r-1"));
      approvals.insert(newRequest("r-2", later(5)));
      approvals.insert(newRequest("r-3", later(5)));
      approvals.insert({ ...newRequest("r-other", later(9)), argsDigest: "hmac-sha256:01" });
    });
    expect(approvals.latestFor(binding)?.id).toBe("r-3");
    expect(approvals.latestFor({ ...binding, argsDigest: "hmac-sha256:01" })?.id).toBe("r-other");
    expect(approvals.latestFor({ ...binding, resourceType: "job" })).toBeUndefined();
    expect(approvals.list({ limit: 10 }).map((r) => r.id)).toEqual(["r-other", "r-3", "r-2", "r-1"]);
    expect(approvals.list({ limit: 2 }).map((r) => r.id)).toEqual(["r-other", "r-3"]);
  }));

  it("decides a request once, refuses a second decision and an unknown request", withApprovals((approvals, conn) => {
    conn.transaction(() => approvals.insert(newRequest("r-1")));
    conn.transaction(() => approvals.decide("r-1", "approved", later(10), "carol", "ok"));
    expect(approvals.get("r-1")).toMatchObject({ state: "approved", decidedAt: later(10), approver: "carol", justification: "ok" });
    expectCode(() => conn.transaction(() => approvals.decide("r-1", "denied", later(11), "dave", null)), "CONFLICT");
    expect(approvals.get("r-1")).toMatchObject({ state: "approved", approver: "carol" });
    expectCode(() => conn.transaction(() => approvals.decide("no-such-request", "denied", later(11), "dave", null)), "CONFLICT");
  }));

  it("lists by the state a request shows at a time: pending past its expiry is expired", withApprovals((approvals, conn) => {
    conn.transaction(() => {
      approvals.insert(newRequest("r-soon", T0, later(60)));
      approvals.insert(newRequest("r-late", later(1), later(3600)));
      approvals.insert({ ...newRequest("r-mine", later(2)), requesterId: "other" });
      approvals.insert(newRequest("r-denied", later(3)));
      approvals.insert(newRequest("r-timed-out", later(4)));
      approvals.decide("r-denied", "denied", later(5), "carol", "no");
      approvals.decide("r-timed-out", "expired", later(5), null, null);
    });
    const at = (seconds: number): Date => new Date(later(seconds));
    expect(approvals.list({ state: "pending", limit: 10, now: at(59) }).map((r) => r.id)).toEqual(["r-mine", "r-late", "r-soon"]);
    expect(approvals.list({ state: "pending", limit: 10, now: at(60) }).map((r) => r.id)).toEqual(["r-mine", "r-late"]);
    expect(approvals.list({ state: "expired", limit: 10, now: at(60) }).map((r) => r.id)).toEqual(["r-timed-out", "r-soon"]);
    expect(approvals.list({ state: "denied", limit: 10 }).map((r) => r.id)).toEqual(["r-denied"]);
    expect(approvals.list({ state: "approved", limit: 10 })).toEqual([]);
    expect(approvals.list({ requesterId: "other", limit: 10 }).map((r) => r.id)).toEqual(["r-mine"]);
    expect(approvals.list({ requesterId: "bot", state: "pending", limit: 10, now: at(60) }).map((r) => r.id)).toEqual(["r-late"]);
  }));

  it("lets one of two replicas deciding the same request at once decide it, and refuses the other", withApprovals(async (approvals, conn) => {
    conn.transaction(() => approvals.insert(newRequest("r-1")));
    const theirs = await otherReplica(conn.location, "approval-repository", "PgApprovals", "decide", ["r-1", "denied", later(10), "dave", "no"]);
    conn.transaction(() => {
      approvals.decide("r-1", "approved", later(10), "carol", "ok");
      theirs.go();
      waitUntilSomeoneWaitsOn(conn);
    });
    expect(await theirs.outcome).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(approvals.get("r-1")).toMatchObject({ state: "approved", approver: "carol" });
    const other = PgConnection.open(conn.location);
    try {
      expect(new PgApprovals(other).get("r-1")).toMatchObject({ state: "approved", approver: "carol" });
    } finally {
      other.close();
    }
  }));
});
