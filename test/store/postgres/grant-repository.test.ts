// Grants on PostgreSQL: issued, used down to none, refused past their expiry, revoked once, and
// single-use across replicas: two connections on one schema never both take the last use.
import { describe, expect, it } from "vitest";
import type { NewGrant } from "../../../src/store/contracts/grants.js";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgGrants } from "../../../src/store/postgres/grant-repository.js";
import { expectCode } from "../../support/errors.js";
import { freshPgConnection } from "../../support/postgres.js";
import { otherReplica, waitUntilSomeoneWaitsOn } from "./other-replica.js";

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const binding = { subjectId: "bot", action: "deploy", resourceType: "service", resourceId: "svc-1", argsDigest: "hmac-sha256:00" };

function newGrant(id: string, uses: number, expiresAt = later(600), createdAt = T0): NewGrant {
  return { id, approvalId: null, subjectType: "pipeline", usesRemaining: uses, createdAt, expiresAt, ...binding };
}

function withGrants(test: (grants: PgGrants, conn: PgConnection) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const conn = freshPgConnection();
    try {
      await test(new PgGrants(conn), conn);
    } finally {
      conn.close();
    }
  };
}

describe("PgGrants", () => {
  it("reads what is not there as undefined", withGrants((grants) => {
    expect(grants.get("no-such-grant")).toBeUndefined();
    expect(grants.usableFor(binding, new Date(T0))).toBeUndefined();
    expect(grants.expiredFor(binding, new Date(T0))).toBeUndefined();
    expect(grants.list({ limit: 10 })).toEqual([]);
  }));

  it("issues a grant and reads it back whole, by id and by its exact call only", withGrants((grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-1", 2)));
    const grant = { ...newGrant("g-1", 2), state: "issued" };
    expect(grants.get("g-1")).toEqual(grant);
    expect(grants.usableFor(binding, new Date(T0))).toEqual(grant);
    expect(grants.usableFor({ ...binding, argsDigest: "hmac-sha256:01" }, new Date(T0))).toBeUndefined();
    expect(grants.usableFor({ ...binding, resourceType: "job" }, new Date(T0))).toBeUndefined();
  }));

  it("offers the oldest usable grant first, and the most recently expired one with uses left", withGrants((grants, conn) => {
    conn.transaction(() => {
      grants.insert(newGrant("g-new", 1, later(600), later(2)));
      grants.insert(newGrant("g-old", 1, later(600), later(1)));
      grants.insert(newGrant("g-exp-early", 1, later(10)));
      grants.insert(newGrant("g-exp-late", 1, later(20)));
    });
    expect(grants.usableFor(binding, new Date(later(30)))?.id).toBe("g-old");
    expect(grants.expiredFor(binding, new Date(later(30)))?.id).toBe("g-exp-late");
    expect(grants.expiredFor(binding, new Date(later(15)))?.id).toBe("g-exp-early");
  }));

  it("counts a grant's uses down, refuses it past its expiry, and revokes it once", withGrants((grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-two", 2, later(60))));
    conn.transaction(() => grants.consume("g-two", later(1)));
    expect(grants.get("g-two")).toMatchObject({ usesRemaining: 1, state: "issued" });
    expectCode(() => conn.transaction(() => grants.consume("g-two", later(60))), "CONFLICT");
    expect(grants.usableFor(binding, new Date(later(60)))).toBeUndefined();
    expect(grants.expiredFor(binding, new Date(later(60)))).toMatchObject({ id: "g-two" });
    expect(grants.list({ state: "expired", limit: 10, now: new Date(later(60)) }).map((g) => g.id)).toEqual(["g-two"]);
    expect(grants.list({ state: "issued", limit: 10, now: new Date(later(59)) }).map((g) => g.id)).toEqual(["g-two"]);
    conn.transaction(() => grants.revoke("g-two"));
    expectCode(() => conn.transaction(() => grants.revoke("g-two")), "CONFLICT");
    expect(grants.get("g-two")?.state).toBe("revoked");
    expectCode(() => conn.transaction(() => grants.consume("g-two", later(2))), "CONFLICT");
    expectCode(() => conn.transaction(() => grants.revoke("no-such-grant")), "CONFLICT");
    expectCode(() => conn.transaction(() => grants.consume("no-such-grant", later(2))), "CONFLICT");
  }));

  it("marks a grant used with its last use, and refuses any use after", withGrants((grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-once", 1)));
    conn.transaction(() => grants.consume("g-once", later(1)));
    expect(grants.get("g-once")).toMatchObject({ usesRemaining: 0, state: "used" });
    expectCode(() => conn.transaction(() => grants.consume("g-once", later(2))), "CONFLICT");
    expect(grants.usableFor(binding, new Date(later(2)))).toBeUndefined();
    expect(grants.list({ state: "used", limit: 10 }).map((g) => g.id)).toEqual(["g-once"]);
  }));

  it("lists newest first, by subject and state, at most the limit", withGrants((grants, conn) => {
    conn.transaction(() => {
      grants.insert(newGrant("g-a", 1, later(600), later(1)));
      grants.insert(newGrant("g-b", 1, later(600), later(2)));
      grants.insert({ ...newGrant("g-c", 1, later(600), later(3)), subjectId: "other" });
    });
    expect(grants.list({ limit: 10 }).map((g) => g.id)).toEqual(["g-c", "g-b", "g-a"]);
    expect(grants.list({ limit: 2 }).map((g) => g.id)).toEqual(["g-c", "g-b"]);
    expect(grants.list({ subjectId: "bot", limit: 10 }).map((g) => g.id)).toEqual(["g-b", "g-a"]);
    expect(grants.list({ subjectId: "bot", state: "revoked", limit: 10 })).toEqual([]);
  }));

  it("ties a grant to its approval request, and refuses one naming a request that does not exist", withGrants((grants, conn) => {
    expect(() => conn.transaction(() => grants.insert({ ...newGrant("g-x", 1), approvalId: "no-such-request" }))).toThrow(/foreign key/);
    expect(grants.get("g-x")).toBeUndefined();
    expect(conn.inTransaction).toBe(false);
  }));

  it("lets two replicas that both saw the last use take it only once", withGrants((grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-once", 1)));
    const other = PgConnection.open(conn.location);
    try {
      const theirs = new PgGrants(other);
      expect(grants.usableFor(binding, new Date(T0))?.id).toBe("g-once");
      expect(theirs.usableFor(binding, new Date(T0))?.id).toBe("g-once");
      conn.transaction(() => grants.consume("g-once", later(1)));
      expectCode(() => other.transaction(() => theirs.consume("g-once", later(1))), "CONFLICT");
      expect(theirs.get("g-once")).toMatchObject({ usesRemaining: 0, state: "used" });
    } finally {
      other.close();
    }
  }));

  it("makes a replica taking the last use wait for one taking it already, then refuses it", withGrants(async (grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-once", 1)));
    const theirs = await otherReplica(conn.location, "grant-repository", "PgGrants", "consume", ["g-once", later(1)]);
    conn.transaction(() => {
      grants.consume("g-once", later(1));
      theirs.go();
      waitUntilSomeoneWaitsOn(conn);
    });
    expect(await theirs.outcome).toMatchObject({ ok: false, code: "CONFLICT" });
    expect(grants.get("g-once")).toMatchObject({ usesRemaining: 0, state: "used" });
  }));

  it("gives the waiting replica the use when the one that took it first rolls back", withGrants(async (grants, conn) => {
    conn.transaction(() => grants.insert(newGrant("g-once", 1)));
    const theirs = await otherReplica(conn.location, "grant-repository", "PgGrants", "consume", ["g-once", later(1)]);
    expect(() =>
      conn.transaction(() => {
        grants.consume("g-once", later(1));
        theirs.go();
        waitUntilSomeoneWaitsOn(conn);
        throw new Error("this decision's entry was refused");
      }),
    ).toThrow(/refused/);
    expect(await theirs.outcome).toMatchObject({ ok: true });
    expect(grants.get("g-once")).toMatchObject({ usesRemaining: 0, state: "used" });
  }));
});
