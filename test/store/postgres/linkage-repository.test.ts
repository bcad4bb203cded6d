// The linkage repository on PostgreSQL: the store conformance suite's linkage part against the real
// server, and the indexes the SQLite schema has.
import { describe, expect, it } from "vitest";
import { PgConnection } from "../../../src/store/postgres/connection.js";
import { PgLedgerStore } from "../../../src/store/postgres/ledger-store.js";
import { PgLinkage } from "../../../src/store/postgres/linkage-repository.js";
import { freshPgConnection } from "../../support/postgres.js";
import { keyRow, linkageConformance } from "../linkage-conformance.js";

linkageConformance("PostgreSQL", () => {
  const conn = freshPgConnection();
  return { linkage: new PgLinkage(conn), close: () => Promise.resolve(conn.close()) };
});

describe("PgLinkage", () => {
  it("reads the join's keys, chunk after chunk, from one snapshot inside a consistent read while another session empties the table", () => {
    const conn = freshPgConnection();
    const other = PgConnection.open(conn.location);
    try {
      const linkage = new PgLinkage(conn);
      linkage.resetDecisionKeys("v1");
      // More rows than one chunk (8,192): the second chunk is read after the other session's delete.
      linkage.addDecisionKeys(Array.from({ length: 9000 }, (_, i) => keyRow(i)), 9000);
      let read = 0;
      new PgLedgerStore(conn).readConsistent(() => {
        for (const row of linkage.joinKeys()) {
          if (read === 0) other.query("DELETE FROM linkage_decisions");
          expect(row[0]).toBe(read++);
        }
      });
      expect(read).toBe(9000);
      expect(linkage.decisionKeyCount()).toBe(0);
    } finally {
      other.close();
      conn.close();
    }
  });

  it("keeps the SQLite schema's indexes", () => {
    const conn = freshPgConnection();
    try {
      const names = conn.query<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename LIKE 'linkage%' ORDER BY indexname");
      expect(names.map((n) => n.indexname)).toEqual(expect.arrayContaining(["linkage_decisions_source", "linkage_findings_code", "linkage_runs_started"]));
    } finally {
      conn.close();
    }
  });

  it("orders runs by start time and id byte by byte, as SQLite does, whatever the database's collation", () => {
    const conn = freshPgConnection();
    try {
      const linkage = new PgLinkage(conn);
      for (const id of ["a-2", "a_1", "B"]) linkage.createRun({ id, format: "x", source: "x", actor: "{}", startedAt: "2026-12-06T10:00:00.000Z", options: "{}" });
      expect(linkage.runs(10).map((r) => r.id)).toEqual(["a_1", "a-2", "B"]);
      // The test server's own collation may already be byte order: every text column says so itself.
      const collations = conn.query<{ collation_name: string | null }>(
        `SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() AND data_type = 'text'
          AND (table_name LIKE 'linkage%' OR table_name IN ('limit_counters', 'stream_positions'))`,
      );
      expect(collations.length).toBeGreaterThan(40);
      expect(new Set(collations.map((c) => c.collation_name))).toEqual(new Set(["C"]));
    } finally {
      conn.close();
    }
  });

  it("stores text with quotes, backslashes and braces as given, and finishes only the run it names", () => {
    const conn = freshPgConnection();
    try {
      const linkage = new PgLinkage(conn);
      const odd = 'a "quoted" \\ {braced}, NULL';
      linkage.createRun({ id: "r-1", format: "cloudtrail", source: odd, actor: "{}", startedAt: "2026-12-06T10:00:00.000Z", options: "{}" });
      linkage.createRun({ id: "r-2", format: "cloudtrail", source: "b", actor: "{}", startedAt: "2026-12-06T10:00:01.000Z", options: "{}" });
      linkage.insertRunRows("r-1", {
        records: [],
        traces: [{ trace_id: odd, record_id: "NULL" }],
        findings: [],
        skipped: [{ seq: 1, file: odd, line: 1, reason: "invalid_json", message: "" }],
      });
      expect(linkage.recordsOfTrace(odd, 10)).toEqual([{ run_id: "r-1", record_id: "NULL" }]);
      expect(linkage.skipped("r-1", 10)).toEqual([{ seq: 1, file: odd, line: 1, reason: "invalid_json", message: "" }]);
      linkage.finishRun("r-1", "done", "2026-12-06T10:00:05.000Z", "{}", null);
      linkage.finishRun("r-none", "done", "2026-12-06T10:00:05.000Z", "{}", null);
      expect(linkage.run("r-1")?.source).toBe(odd);
      expect(linkage.run("r-2")?.status).toBe("running");
      expect(linkage.run("r-none")).toBeUndefined();
      expect(() => linkage.createRun({ id: "r-1", format: "x", source: "x", actor: "{}", startedAt: "2026-12-06T10:00:09.000Z", options: "{}" })).toThrow();
    } finally {
      conn.close();
    }
  });
});
