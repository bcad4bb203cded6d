// Break-glass sessions on PostgreSQL: one open per identity at a time, even when two replicas open
// one at once; decisions counted; ended and reviewed once.
import { describe, expect, it } from "vitest";
import type { NewBreakGlassSession } from "../../../src/store/contracts/break-glass.js";
import type { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgBreakGlass } from "../../../src/store/postgres/break-glass-repository.js";
import { expectCode } from "../../support/errors.js";
import { freshPgConnection } from "../../support/postgres.js";
import { otherReplica, waitUntilSomeoneWaitsOn } from "./other-replica.js";

const T0 = "2026-12-06T10:00:00.000Z";
const later = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

function session(id: string, identityId = "alice", startedAt = T0, expiresAt = later(900)): NewBreakGlassSession {
  return { id, identityId, justification: "outage", startedAt, expiresAt };
}

function withSessions(test: (breakGlass: PgBreakGlass, conn: PgConnection) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const conn = freshPgConnection();
    try {
      await test(new PgBreakGlass(conn), conn);
    } finally {
      conn.close();
    }
  };
}

describe("PgBreakGlass", () => {
  it("reads what is not there as undefined", withSessions((breakGlass) => {
    expect(breakGlass.get("no-such-session")).toBeUndefined();
    expect(breakGlass.activeFor("alice", new Date(T0))).toBeUndefined();
    expect(breakGlass.list({ limit: 10 })).toEqual([]);
  }));

  it("opens one session per identity at a time, counts its decisions, ends and reviews it once", withSessions((breakGlass, conn) => {
    conn.transaction(() => breakGlass.open(session("bg-1")));
    expect(breakGlass.get("bg-1")).toEqual({ ...session("bg-1"), endedAt: null, reviewedAt: null, reviewer: null, reviewNote: null, decisionCount: 0 });
    expectCode(() => conn.transaction(() => breakGlass.open(session("bg-2"))), "CONFLICT");
    expect(breakGlass.get("bg-2")).toBeUndefined();
    conn.transaction(() => breakGlass.open(session("bg-bob", "bob")));
    conn.transaction(() => {
      breakGlass.use("bg-1");
      breakGlass.use("bg-1");
    });
    expect(breakGlass.activeFor("alice", new Date(later(1)))).toMatchObject({ id: "bg-1", decisionCount: 2 });
    conn.transaction(() => breakGlass.end("bg-1", later(5)));
    expectCode(() => conn.transaction(() => breakGlass.end("bg-1", later(6))), "CONFLICT");
    expectCode(() => conn.transaction(() => breakGlass.end("bg-none", later(6))), "CONFLICT");
    expect(breakGlass.activeFor("alice", new Date(later(6)))).toBeUndefined();
    expect(breakGlass.list({ unreviewed: true, limit: 10 }).map((x) => x.id)).toEqual(["bg-bob", "bg-1"]);
    conn.transaction(() => breakGlass.review("bg-1", later(7), "bob", "fine"));
    expectCode(() => conn.transaction(() => breakGlass.review("bg-1", later(8), "bob", "again")), "CONFLICT");
    expectCode(() => conn.transaction(() => breakGlass.review("bg-none", later(8), "bob", "?")), "CONFLICT");
    expect(breakGlass.list({ unreviewed: true, limit: 10 }).map((x) => x.id)).toEqual(["bg-bob"]);
    expect(breakGlass.get("bg-1")).toMatchObject({ reviewer: "bob", reviewNote: "fine", reviewedAt: later(7), endedAt: later(5) });
    // Ended, the identity may open another.
    conn.transaction(() => breakGlass.open(session("bg-3", "alice", later(10))));
    expect(breakGlass.activeFor("alice", new Date(later(11)))?.id).toBe("bg-3");
  }));

  it("counts a session expired at its expiry: no longer active, and no obstacle to a new one", withSessions((breakGlass, conn) => {
    conn.transaction(() => breakGlass.open(session("bg-1", "alice", T0, later(60))));
    expect(breakGlass.activeFor("alice", new Date(later(59)))?.id).toBe("bg-1");
    expect(breakGlass.activeFor("alice", new Date(later(60)))).toBeUndefined();
    expectCode(() => conn.transaction(() => breakGlass.open(session("bg-2", "alice", later(59)))), "CONFLICT");
    conn.transaction(() => breakGlass.open(session("bg-2", "alice", later(60))));
    expect(breakGlass.activeFor("alice", new Date(later(61)))?.id).toBe("bg-2");
  }));

  it("opens a session in a transaction of its own when none is open, and leaves the connection usable after a refusal", withSessions((breakGlass, conn) => {
    breakGlass.open(session("bg-1"));
    expectCode(() => breakGlass.open(session("bg-2")), "CONFLICT");
    expect(() => breakGlass.open(session("bg-1", "carol"))).toThrow(/duplicate key/);
    expect(conn.inTransaction).toBe(false);
    expect(breakGlass.list({ limit: 10 }).map((x) => x.id)).toEqual(["bg-1"]);
  }));

  it("lists newest first, by identity and unreviewed, at most the limit", withSessions((breakGlass, conn) => {
    conn.transaction(() => {
      breakGlass.open(session("bg-a", "alice", T0));
      breakGlass.open(session("bg-b", "bob", later(1)));
      breakGlass.open(session("bg-c", "carol", later(2)));
      breakGlass.review("bg-b", later(3), "dana", "seen");
    });
    expect(breakGlass.list({ limit: 10 }).map((x) => x.id)).toEqual(["bg-c", "bg-b", "bg-a"]);
    expect(breakGlass.list({ limit: 1 }).map((x) => x.id)).toEqual(["bg-c"]);
    expect(breakGlass.list({ identityId: "bob", limit: 10 }).map((x) => x.id)).toEqual(["bg-b"]);
    expect(breakGlass.list({ identityId: "bob", unreviewed: true, limit: 10 })).toEqual([]);
    expect(breakGlass.list({ unreviewed: true, limit: 10 }).map((x) => x.id)).toEqual(["bg-c", "bg-a"]);
  }));

  it("makes a replica opening a session for the same identity wait for one opening it already, then refuses it", withSessions(async (breakGlass, conn) => {
    const theirs = await otherReplica(conn.location, "break-glass-repository", "PgBreakGlass", "open", [session("bg-theirs")]);
    conn.transaction(() => {
      breakGlass.open(session("bg-mine"));
      theirs.go();
      waitUntilSomeoneWaitsOn(conn);
    });
    expect(await theirs.outcome).toMatchObject({ ok: false, code: "CONFLICT", message: "alice already has break-glass session bg-mine open" });
    expect(breakGlass.list({ identityId: "alice", limit: 10 }).map((x) => x.id)).toEqual(["bg-mine"]);
  }));
});
