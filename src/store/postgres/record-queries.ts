// The ledger's query tables in PostgreSQL (record_index, record_policies, raw_values): reads by record,
// time and filter, and the erasure of raw values. Nothing here is on the append path.
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
import type { PgConnection } from "./connection.js";

interface LocationRow {
  record_id: string;
  idx: number;
  kind: string;
  time: string;
  subject_id: string | null;
}

const LOCATION_COLUMNS = "record_id, idx, kind, time, subject_id";

function toLocation(row: LocationRow): RecordLocation {
  return { recordId: row.record_id, index: row.idx, kind: row.kind, time: row.time, subjectId: row.subject_id };
}

/** Filters that are one column equal to the value, in the order SQLite's store applies them. */
const EQUAL: readonly (readonly [keyof RecordFilter, string])[] = [
  ["kind", "kind"], ["subjectId", "subject_id"], ["action", "action"], ["resourceId", "resource_id"],
  ["outcome", "outcome"], ["reasonCode", "reason_code"], ["control", "control"], ["policyVersion", "policy_version"],
  ["traceId", "trace_id"], ["taskId", "task_id"], ["decisionId", "decision_id"], ["subjectType", "subject_type"],
  ["subjectOwner", "subject_owner"],
];

export class PgRecordQueries {
  constructor(private readonly conn: PgConnection) {}

  firstIndexRowFrom(from: number): number | undefined {
    const [row] = this.conn.query<{ first: number | null }>(
      "SELECT LEAST((SELECT min(idx) FROM record_index WHERE idx >= $1), (SELECT min(idx) FROM record_policies WHERE idx >= $1)) AS first",
      [from],
    );
    return row?.first ?? undefined;
  }

  locateRecord(recordId: string): RecordLocation | undefined {
    const [row] = this.conn.query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM record_index WHERE record_id = $1`, [recordId]);
    return row && toLocation(row);
  }

  recordsBetween(fromTime: string, toTime: string): RecordLocation[] {
    return this.conn
      .query<LocationRow>(`SELECT ${LOCATION_COLUMNS} FROM record_index WHERE time >= $1 AND time < $2 ORDER BY idx`, [fromTime, toTime])
      .map(toLocation);
  }

  /** The WHERE clause of a record query, built from fixed column names only; every value is a bound parameter. */
  private whereOf(query: RecordFilter): { sql: string; params: (string | number)[] } {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const bind = (value: string | number): string => {
      params.push(value);
      return `$${params.length}`;
    };
    for (const [key, column] of EQUAL) {
      const value = query[key];
      if (typeof value === "string") where.push(`${column} = ${bind(value)}`);
    }
    if (query.policyId !== undefined) where.push(`idx IN (SELECT idx FROM record_policies WHERE policy_id = ${bind(query.policyId)})`);
    if (query.from !== undefined) where.push(`time >= ${bind(query.from)}`);
    if (query.to !== undefined) where.push(`time < ${bind(query.to)}`);
    if (query.before !== undefined) where.push(`idx < ${bind(query.before)}`);
    return { sql: where.length ? `WHERE ${where.join(" AND ")}` : "", params };
  }

  queryRecords(query: RecordQuery): RecordLocation[] {
    const where = this.whereOf(query);
    const sql = `SELECT ${LOCATION_COLUMNS} FROM record_index ${where.sql} ORDER BY idx DESC LIMIT $${where.params.length + 1}`;
    // SQLite reads a negative LIMIT as no limit; PostgreSQL refuses one, and NULL means none.
    const limit = query.limit < 0 ? null : query.limit;
    return this.conn.query<LocationRow>(sql, [...where.params, limit]).map(toLocation);
  }

  countRecords(query: RecordFilter, bucket: TimeBucket): RecordCount[] {
    const where = this.whereOf(query);
    // RFC 3339 times in UTC sort and truncate as text: the first 10, 13 or 16 characters are the day, hour or minute.
    const sql = `SELECT substr(time, 1, ${TIME_BUCKET_CHARS[bucket]}) AS bucket, outcome, control, count(*) AS count
      FROM record_index ${where.sql} GROUP BY 1, 2, 3 ORDER BY 1`;
    return this.conn.query<RecordCount>(sql, where.params);
  }

  countActions(query: RecordFilter): ActionCount[] {
    const where = this.whereOf(query);
    const sql = `SELECT action, count(*) AS count, max(time) AS last FROM record_index ${where.sql}${where.sql ? " AND" : " WHERE"} action IS NOT NULL GROUP BY action ORDER BY action`;
    return this.conn.query<ActionCount>(sql, where.params);
  }

  rawValuesOf(recordId: string): RawValueRow[] {
    return this.conn.query<RawValueRow>(
      `SELECT commitment, record_id AS "recordId", subject_id AS "subjectId", field, salt, value FROM raw_values WHERE record_id = $1 ORDER BY field`,
      [recordId],
    );
  }

  countRawValues(selector: RawValueSelector): number {
    const [column, value] = selectorOf(selector);
    const [row] = this.conn.query<{ n: number }>(`SELECT count(*) AS n FROM raw_values WHERE ${column} = $1`, [value]);
    return row?.n ?? 0;
  }

  eraseRawValues(selector: RawValueSelector): number {
    const [column, value] = selectorOf(selector);
    const [row] = this.conn.query<{ n: number }>(`WITH erased AS (DELETE FROM raw_values WHERE ${column} = $1 RETURNING 1) SELECT count(*) AS n FROM erased`, [value]);
    return row?.n ?? 0;
  }
}

function selectorOf(selector: RawValueSelector): [column: "subject_id" | "record_id", value: string] {
  return "subjectId" in selector ? ["subject_id", selector.subjectId] : ["record_id", selector.recordId];
}
