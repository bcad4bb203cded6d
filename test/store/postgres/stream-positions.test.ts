// Stream positions on PostgreSQL: one per sink, only moving forward, shared by every connection.
import { describe, expect, it } from "vitest";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgStreamPositions } from "../../../src/store/postgres/stream-positions.js";
import { freshPgConnection } from "../../support/postgres.js";

const T0 = Date.parse("2026-12-06T10:00:00.000Z");

describe("PgStreamPositions", () => {
  it("keeps one position per sink that only moves forward", () => {
    const conn = freshPgConnection();
    try {
      const positions = new PgStreamPositions(conn);
      expect(positions.next("nats")).toBe(0);
      positions.advance("nats", 3, new Date(T0));
      positions.advance("otlp", 7, new Date(T0));
      expect([positions.next("nats"), positions.next("otlp"), positions.next("file")]).toEqual([3, 7, 0]);
      positions.advance("nats", 2, new Date(T0 + 1000));
      positions.advance("nats", 3, new Date(T0 + 2000));
      expect(positions.next("nats")).toBe(3);
      positions.advance("nats", 2 ** 40, new Date(T0 + 3000));
      expect([positions.next("nats"), positions.next("otlp")]).toEqual([2 ** 40, 7]);
      expect(conn.query("SELECT updated_at FROM stream_positions WHERE sink = 'nats'")).toEqual([{ updated_at: new Date(T0 + 3000).toISOString() }]);
    } finally {
      conn.close();
    }
  });

  it("is shared by every connection to the schema, and refuses a negative index", () => {
    const conn = freshPgConnection();
    const other = PgConnection.open(conn.location);
    try {
      new PgStreamPositions(conn).advance("nats", 5, new Date(T0));
      const seen = new PgStreamPositions(other);
      expect(seen.next("nats")).toBe(5);
      seen.advance("nats", 4, new Date(T0));
      expect(new PgStreamPositions(conn).next("nats")).toBe(5);
      expect(() => seen.advance("file", -1, new Date(T0))).toThrow();
      expect(seen.next("file")).toBe(0);
    } finally {
      other.close();
      conn.close();
    }
  });
});
