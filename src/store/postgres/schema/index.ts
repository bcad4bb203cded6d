// Every version of the PostgreSQL schema. Version 1 is the embedded store's schema as of its
// migration 13, in PostgreSQL's dialect, one list of statements per capability that owns the tables.
import { DECIDE_TABLES } from "./decide.js";
import { IDENTITY_TABLES } from "./identity.js";
import { LEDGER_TABLES } from "./ledger.js";
import { LINKAGE_TABLES } from "./linkage.js";
import type { PostgresMigration } from "./migration.js";

export type { PostgresMigration } from "./migration.js";

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [{ version: 1, statements: [...LEDGER_TABLES, ...IDENTITY_TABLES, ...DECIDE_TABLES, ...LINKAGE_TABLES] }];
