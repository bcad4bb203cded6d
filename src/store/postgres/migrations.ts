// The PostgreSQL store's schema: one list of statements per capability that owns the tables, applied
// in order under an advisory lock, so that replicas starting together migrate once.
import { ArbiterError } from "../../record/errors.js";
import { STORE_FORMAT } from "../sqlite/migrations.js";
import type { PgConnection } from "./connection.js";
import { POSTGRES_MIGRATIONS } from "./schema/index.js";

export const POSTGRES_LATEST_VERSION = POSTGRES_MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/** The advisory lock key of the schema's migrations (another key than the ledger's write lock). */
const MIGRATION_LOCK = "arbiter.migrate";

/**
 * Checks that the schema is an Arbiter store of a version this build knows (or empty, when
 * `create`), then brings it up to date. Refuses a foreign schema without writing to it, and with
 * `fresh` (a new data directory's store) one that holds a store already: that log has keys of its own.
 */
export function migratePostgres(conn: PgConnection, options: { create: boolean; fresh?: boolean }): void {
  conn.transaction(
    () => {
      const [hasMeta] = conn.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'meta'");
      const [anyTable] = conn.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = current_schema()");
      const schema = conn.location.schema;
      let current = 0;
      if (hasMeta?.n === 1) {
        const rows = conn.query<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key IN ('format', 'version')");
        const meta = new Map(rows.map((r) => [r.key, r.value]));
        if (meta.get("format") !== STORE_FORMAT) {
          throw new ArbiterError("DATA_DIR_INVALID", `PostgreSQL schema ${schema} is not an Arbiter store (format ${JSON.stringify(meta.get("format") ?? null)})`, { schema });
        }
        if (options.fresh) {
          throw new ArbiterError(
            "DATA_DIR_INVALID",
            `PostgreSQL schema ${schema} already holds an Arbiter store; another replica joins it with a copy of that store's data directory (config and keys), not a new init`,
            { schema },
          );
        }
        current = Number(meta.get("version") ?? 0);
        if (current > POSTGRES_LATEST_VERSION) {
          throw new ArbiterError("DATA_DIR_INVALID", `PostgreSQL schema ${schema} was written by a newer Arbiter (schema ${current}, this build knows ${POSTGRES_LATEST_VERSION})`, { schema });
        }
      } else if ((anyTable?.n ?? 0) > 0) {
        throw new ArbiterError("DATA_DIR_INVALID", `PostgreSQL schema ${schema} holds tables but is not an Arbiter store (no meta table); refusing to use it`, { schema });
      } else if (!options.create) {
        throw new ArbiterError("DATA_DIR_INVALID", `PostgreSQL schema ${schema} holds no Arbiter store; run \`arbiter init\` first`, { schema });
      }
      const from = current;
      for (const migration of POSTGRES_MIGRATIONS) {
        if (migration.version <= current) continue;
        conn.batch(migration.statements.map((text) => ({ text })));
        current = migration.version;
      }
      // An open of a store already up to date writes nothing.
      if (current === from) return;
      conn.batch([
        { text: "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)" },
        { text: "INSERT INTO meta (key, value) VALUES ('format', $1) ON CONFLICT (key) DO NOTHING", values: [STORE_FORMAT] },
        { text: "INSERT INTO meta (key, value) VALUES ('version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", values: [String(current)] },
      ]);
    },
    { first: [{ text: "SELECT pg_advisory_xact_lock(hashtext(current_schema() || $1))", values: [MIGRATION_LOCK] }] },
  );
}
