// Schemas 6 and 7: the record index in ledger order (listings read the newest rows first without
// sorting) and raw values keyed by record and field (new rows at the end of the index).
import Database from "better-sqlite3";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLedger } from "../../src/ledger/index.js";
import { LATEST_VERSION } from "../../src/store/sqlite/migrations.js";
import { eventLine, freshLedger } from "../support/ledger.js";
import { withStoreDatabase } from "../support/store.js";

const SCHEMA_1_RECORD_INDEX = `
  CREATE TABLE record_index (
    record_id TEXT PRIMARY KEY, idx INTEGER NOT NULL, kind TEXT NOT NULL, time TEXT NOT NULL, subject_id TEXT,
    action TEXT, resource_id TEXT, outcome TEXT, reason_code TEXT, control TEXT, policy_version TEXT,
    trace_id TEXT, task_id TEXT, decision_id TEXT
  ) STRICT;
  CREATE INDEX record_index_time ON record_index(time);
  CREATE INDEX record_index_subject ON record_index(subject_id, time);
  CREATE INDEX record_index_trace ON record_index(trace_id) WHERE trace_id IS NOT NULL;
  CREATE INDEX record_index_decision ON record_index(decision_id) WHERE decision_id IS NOT NULL;
`;

/** Undoes schema 10 (tasks), so that a store rebuilt at an older version can be migrated again. */
/** Schema 9's columns and indexes, so that migrating from an older version adds them again. */
function dropSchema9(db: Database.Database): void {
  db.exec("DROP INDEX record_index_subject_type; DROP INDEX record_index_subject_owner; ALTER TABLE record_index DROP COLUMN subject_type; ALTER TABLE record_index DROP COLUMN subject_owner");
}

function dropSchema10(db: Database.Database): void {
  db.exec("DROP INDEX credentials_task; ALTER TABLE credentials DROP COLUMN task; DROP TABLE tasks;");
}

function plan(db: Database.Database, sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((row) => row.detail).join("; ");
}

describe("record index order (schema 6)", () => {
  it("lists the newest records without sorting the index", async () => {
    const { ledger, dir } = freshLedger();
    await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.append(eventLine(i))));
    expect(ledger.reader.queryRecords({ kind: "event", limit: 3 }).map((r) => r.index)).toEqual([19, 18, 17]);
    await ledger.close();
    const db = new Database(join(dir, "arbiter.db"), { readonly: true });
    const listing = plan(db, "SELECT record_id, idx FROM record_index WHERE kind = 'event' AND idx < 10 ORDER BY idx DESC LIMIT 50");
    expect(listing).not.toMatch(/TEMP B-TREE/);
    expect(listing).toMatch(/INTEGER PRIMARY KEY/);
    db.close();
  });

  it("migrates a schema-5 store: every row kept, in ledger order, found by id", async () => {
    const { ledger, dir } = freshLedger();
    const appended = await Promise.all(Array.from({ length: 40 }, (_, i) => ledger.append(eventLine(i, { correlation: { trace_id: String(1 + (i % 4)).repeat(32) } }))));
    await ledger.close();

    // Back to the schema-1 layout, rows inserted out of ledger order so that no storage order helps.
    const path = join(dir, "arbiter.db");
    const db = new Database(path);
    dropSchema9(db);
    const rows = db.prepare("SELECT * FROM record_index").all() as Record<string, unknown>[];
    db.exec(`DROP TABLE record_index; ${SCHEMA_1_RECORD_INDEX}`);
    const insert = db.prepare(`INSERT INTO record_index (${Object.keys(rows[0] ?? {}).join(", ")}) VALUES (${Object.keys(rows[0] ?? {}).map((k) => `@${k}`).join(", ")})`);
    for (const row of [...rows].sort((a, b) => String(a.record_id).localeCompare(String(b.record_id))).reverse()) insert.run(row);
    // Schema 8's column goes too, or migrating again would add it twice.
    db.exec("ALTER TABLE identities DROP COLUMN assertion_scope");
    dropSchema10(db);
    db.pragma("user_version = 5");
    db.close();

    const reopened = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
    expect(reopened.reader.queryRecords({ kind: "event", limit: 100 }).map((r) => r.index)).toEqual(rows.map((r) => r.idx as number).sort((a, b) => b - a));
    expect(reopened.reader.queryRecords({ traceId: "3".repeat(32), limit: 3 }).map((r) => r.index)).toEqual([38, 34, 30]);
    for (const a of appended) expect(reopened.reader.locateRecord(a.id)?.index).toBe(a.index);
    // Still one row per record id.
    await expect(reopened.append({ ...eventLine(99), id: appended[0]?.id })).rejects.toThrow(/UNIQUE/);
    await reopened.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    after.close();
  });
});

describe("raw values by record (schema 7)", () => {
  it("migrates a schema-6 store's raw values and keeps reading and erasing them by record and subject", async () => {
    const { ledger, dir } = freshLedger();
    const a = await ledger.append(eventLine(1, { sensitive: { prompt: "first secret", "args.path": "/etc/passwd" } }));
    const b = await ledger.append(eventLine(2, { sensitive: { prompt: "second secret" } }));
    await ledger.close();

    // Back to the schema-1 layout of raw_values.
    const path = join(dir, "arbiter.db");
    const db = new Database(path);
    const rows = db.prepare("SELECT commitment, record_id, subject_id, field, salt, value FROM raw_values").all() as Record<string, unknown>[];
    expect(rows).toHaveLength(3);
    db.exec(`DROP TABLE raw_values;
      CREATE TABLE raw_values (commitment TEXT PRIMARY KEY, record_id TEXT NOT NULL, subject_id TEXT, field TEXT NOT NULL, salt TEXT NOT NULL, value TEXT NOT NULL) STRICT;
      CREATE INDEX raw_values_record ON raw_values(record_id);
      CREATE INDEX raw_values_subject ON raw_values(subject_id);`);
    const insert = db.prepare("INSERT INTO raw_values VALUES (@commitment, @record_id, @subject_id, @field, @salt, @value)");
    for (const row of rows) insert.run(row);
    db.exec("ALTER TABLE identities DROP COLUMN assertion_scope");
    dropSchema10(db);
    dropSchema9(db);
    db.pragma("user_version = 6");
    db.close();

    const reopened = openLedger(dir, { checkpointIntervalMs: 0 }).ledger;
    const first = reopened.reader.rawValuesOf(a.id);
    expect(first.map((r) => [r.field, r.value])).toEqual([["args.path", '"/etc/passwd"'], ["prompt", '"first secret"']]);
    const leaf = JSON.parse(reopened.entry(a.index).toString("utf8")) as { commitments: Record<string, string> };
    expect(first.map((r) => r.commitment).sort()).toEqual(Object.values(leaf.commitments).sort());
    const erasure = (erased: number) => ({ kind: "event", source: "ci", subject: { id: "ops", type: "human" }, action: "erase_raw_values", resource: { id: "raw-values" }, outcome: "allow", attributes: { erased_values: erased } });
    expect((await reopened.erase({ recordId: b.id }, erasure)).erased).toBe(1);
    expect(reopened.reader.rawValuesOf(b.id)).toEqual([]);
    expect((await reopened.erase({ subjectId: "bot-1" }, erasure)).erased).toBe(2);
    await reopened.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma("user_version", { simple: true })).toBe(LATEST_VERSION);
    expect(plan(after, "SELECT * FROM raw_values WHERE record_id = 'x' ORDER BY field")).not.toMatch(/TEMP B-TREE/);
    after.close();
  });
});

describe("assertion scopes (schema 8)", () => {
  it("gives an identity row from before scopes none: it asserts nothing until an admin says otherwise", async () => {
    const { ledger, dir } = freshLedger();
    await ledger.close();
    const path = join(dir, "arbiter.db");
    const db = new Database(path);
    db.exec("ALTER TABLE identities DROP COLUMN assertion_scope");
    db.prepare("INSERT INTO identities (id, type, owner, status, display_name, groups, roles, attributes, created_at, updated_at) VALUES ('old-gw', 'service_account', NULL, 'active', NULL, '[]', '[\"pep\"]', '{}', 'x', 'x')").run();
    dropSchema10(db);
    dropSchema9(db);
    db.pragma("user_version = 7");
    db.close();
    const reopened = openLedger(dir, { checkpointIntervalMs: 0 });
    expect(withStoreDatabase(dir, (migrated) => migrated.prepare("SELECT assertion_scope FROM identities WHERE id = 'old-gw'").get())).toEqual({ assertion_scope: null });
    await reopened.ledger.close();
  });
});

describe("tasks (schema 10)", () => {
  it("gives a credential from before tasks none, and starts with no task", async () => {
    const { ledger, dir } = freshLedger();
    await ledger.close();
    const path = join(dir, "arbiter.db");
    const db = new Database(path);
    dropSchema10(db);
    dropSchema9(db);
    db.prepare("INSERT INTO identities (id, type, owner, status, display_name, groups, roles, attributes, created_at, updated_at) VALUES ('old-bot', 'agent', NULL, 'active', NULL, '[]', '[]', '{}', 'x', 'x')").run();
    db.prepare("INSERT INTO credentials (id, identity_id, kind, secret_hash, status, created_at) VALUES ('tok_000000000000000000000000', 'old-bot', 'token', NULL, 'active', 'x')").run();
    db.pragma("user_version = 8");
    db.close();
    const reopened = openLedger(dir, { checkpointIntervalMs: 0 });
    withStoreDatabase(dir, (migrated) => {
      expect(migrated.prepare("SELECT task FROM credentials WHERE id = 'tok_000000000000000000000000'").get()).toEqual({ task: null });
      expect(migrated.prepare("SELECT count(*) AS n FROM tasks").get()).toEqual({ n: 0 });
    });
    await reopened.ledger.close();
  });
});
