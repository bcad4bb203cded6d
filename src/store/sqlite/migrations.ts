// Ordered schema migrations of the embedded store, one file per capability that owns the tables.
import { ledgerMigration } from "./migrations/001-ledger.js";
import { identityMigration } from "./migrations/002-identity.js";
import { policyMigration } from "./migrations/003-policy.js";
import { decideMigration } from "./migrations/004-decide.js";
import { linkageMigration } from "./migrations/005-linkage.js";
import { recordOrderMigration } from "./migrations/006-record-order.js";
import { rawValuesByRecordMigration } from "./migrations/007-raw-values-by-record.js";
import { assertionScopeMigration } from "./migrations/008-assertion-scope.js";
import { consoleMigration } from "./migrations/009-console.js";
import { tasksMigration } from "./migrations/010-tasks.js";
import { streamMigration } from "./migrations/011-stream.js";
import { limitCountersMigration } from "./migrations/012-limit-counters.js";
import { notifyOutboxMigration } from "./migrations/013-notify-outbox.js";
import type { Migration } from "./migrations/migration.js";

export type { Migration } from "./migrations/migration.js";

export const STORE_FORMAT = "arbiter-store/v1";

export const MIGRATIONS: readonly Migration[] = [ledgerMigration, identityMigration, policyMigration, decideMigration, linkageMigration, recordOrderMigration, rawValuesByRecordMigration, assertionScopeMigration, consoleMigration, tasksMigration, streamMigration, limitCountersMigration, notifyOutboxMigration];

export const LATEST_VERSION = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);
