// The ledger's query tables in SQLite (record_index, record_policies, raw_values): reads by record,
// time and filter, and the erasure of raw values. Nothing here is on the append path.
import type { Statement } from "better-sqlite3";
import {
  TIME_BUCKET_CHARS,
  type ActionCount,
  type RawValueRow,
  type RawValueSelector,
  type RecordCount,
  type RecordFilter,
  type RecordLocation,
  type RecordQuery,
  type TimeBucket,
} from "../types.js";
import type { SqliteDatabase } from "./database.js";

interface LocationRow {
  record_id: string;
  idx: number;
  kind: string;
  time: string;
  subject_id: string | null;
}

function toLocation(row: LocationRow): RecordLocation {
  return { recordId: row.record_id, index: row.idx, kind: row.kind, time: row.time, subjectId: row.subject_id };
}

export class SqliteRecordQueries {
  private readonly stmt: {
    locate: Statement<[string], LocationRow | undefined>;
    between: Statement<[string, string], LocationRow>;
    rawOf: Statement<[string], RawValueRow>;
    eraseBySubject: Statement<[string]>;
    countBySubject: Statement<[string], { n: number }>;
    countByRecord: Statement<[string], { n: number }>;
    eraseByRecord: Statement<[string]>;
  };

  constructor(private readonly db: SqliteDatabase) {
    this.stmt = {
      locate: db.prepare<[string], LocationRow | undefined>(
        "SELECT record_id, idx, kind, time, subject_id FROM record_index WHERE record_id = ?",
      ),
      between: db.prepare<[string, string], LocationRow>(
        "SELECT record_id, idx, kind, time, subject_id FROM record_index WHERE time >= ? AND time < ? ORDER BY idx",
      ),
      rawOf: db.prepare<[string], RawValueRow>(
        "SELECT commitment, record_id AS recordId, subject_id AS subjectId, field, salt, value FROM raw_values WHERE record_id = ? ORDER BY field",
      ),
      eraseBySubject: db.prepare("DELETE FROM raw_values WHERE subject_id = ?"),
      countBySubject: db.prepare("SELECT count(*) AS n FROM raw_values WHERE subject_id = ?"),
      countByRecord: db.prepare("SELECT count(*) AS n FROM raw_values WHERE record_id = ?"),
      eraseByRecord: db.prepare("DELETE FROM raw_values WHERE record_id = ?"),
    };
  }

  firstIndexRowFrom(from: number): number | undefined {
    const first = this.db
      .prepare<[number, number], number | null>("SELECT min(idx) FROM (SELECT idx FROM record_index WHERE idx >= ? UNION ALL SELECT idx FROM record_policies WHERE idx >= ?)")
      .pluck()
      .get(from, from);
    return first ?? undefined;
  }

  locateRecord(recordId: string): RecordLocation | undefined {
    const row = this.stmt.locate.get(recordId);
    return row && toLocation(row);
  }

  recordsBetween(fromTime: string, toTime: string): RecordLocation[] {
    return this.stmt.between.all(fromTime, toTime).map(toLocation);
  }

  /** The WHERE clause of a record query, built from fixed column names only; every value is a bound parameter. */
  private whereOf(query: RecordFilter): { sql: string; params: (string | number)[] } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const equal: [keyof RecordFilter, string][] = [
      ["kind", "kind"], ["subjectId", "subject_id"], ["action", "action"], ["resourceId", "resource_id"],
      ["outcome", "outcome"], ["reasonCode", "reason_code"], ["control", "control"], ["policyVersion", "policy_version"],
      ["traceId", "trace_id"], ["taskId", "task_id"], ["decisionId", "decision_id"], ["subjectType", "subject_type"],
      ["subjectOwner", "subject_owner"],
    ];
    for (const [key, column] of equal) {
      const value = query[key];
      if (typeof value === "string") {
        where.push(`${column} = ?`);
        params.push(value);
      }
    }
    if (query.policyId !== undefined) {
      where.push("idx IN (SELECT idx FROM record_policies WHERE policy_id = ?)");
      params.push(query.policyId);
    }
    if (query.from !== undefined) {
      where.push("time >= ?");
      params.push(query.from);
    }
    if (query.to !== undefined) {
      where.push("time < ?");
      params.push(query.to);
    }
    if (query.before !== undefined) {
      where.push("idx < ?");
      params.push(query.before);
    }
    return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
  }

  queryRecords(query: RecordQuery): RecordLocation[] {
    const where = this.whereOf(query);
    const sql = `SELECT record_id, idx, kind, time, subject_id FROM record_index ${where.sql} ORDER BY idx DESC LIMIT ?`;
    return this.db.prepare<unknown[], LocationRow>(sql).all(...where.params, query.limit).map(toLocation);
  }

  countRecords(query: RecordFilter, bucket: TimeBucket): RecordCount[] {
    const where = this.whereOf(query);
    // RFC 3339 times in UTC sort and truncate as text: the first 10, 13 or 16 characters are the day, hour or minute.
    const sql = `SELECT substr(time, 1, ${TIME_BUCKET_CHARS[bucket]}) AS bucket, outcome, control, count(*) AS count
      FROM record_index ${where.sql} GROUP BY 1, 2, 3 ORDER BY 1`;
    return this.db.prepare<unknown[], RecordCount>(sql).all(...where.params);
  }

  countActions(query: RecordFilter): ActionCount[] {
    const where = this.whereOf(query);
    const sql = `SELECT action, count(*) AS count, max(time) AS last FROM record_index ${where.sql}${where.sql ? " AND" : " WHERE"} action IS NOT NULL GROUP BY action ORDER BY action`;
    return this.db.prepare<unknown[], ActionCount>(sql).all(...where.params);
  }

  rawValuesOf(recordId: string): RawValueRow[] {
    return this.stmt.rawOf.all(recordId);
  }

  countRawValues(selector: RawValueSelector): number {
    const row = "subjectId" in selector ? this.stmt.countBySubject.get(selector.subjectId) : this.stmt.countByRecord.get(selector.recordId);
    return row?.n ?? 0;
  }

  eraseRawValues(selector: RawValueSelector): number {
    const result =
      "subjectId" in selector
        ? this.stmt.eraseBySubject.run(selector.subjectId)
        : this.stmt.eraseByRecord.run(selector.recordId);
    return result.changes;
  }
}
