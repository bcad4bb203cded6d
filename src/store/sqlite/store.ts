// The SQLite store: every repository of the Store bundle on the one connection the ledger writes through.
import type { LimitCounterTable } from "../types.js";
import type { ApprovalRepository } from "../contracts/approvals.js";
import type { BreakGlassRepository } from "../contracts/break-glass.js";
import type { GrantRepository } from "../contracts/grants.js";
import type { IdentityRepository } from "../contracts/identities.js";
import type { LinkageRepository } from "../contracts/linkage.js";
import type { NotifyOutboxRepository } from "../contracts/notify-outbox.js";
import type { PolicyRepository } from "../contracts/policies.js";
import type { Store, StoreLocation } from "../contracts/store.js";
import type { StreamPositionRepository } from "../contracts/stream-positions.js";
import { SqliteApprovals } from "./approval-repository.js";
import { SqliteBreakGlass } from "./break-glass-repository.js";
import type { CheckpointerOptions } from "./checkpointer.js";
import { openDatabase, type SqliteDatabase } from "./database.js";
import { SqliteGrants } from "./grant-repository.js";
import { SqliteIdentities } from "./identity-repository.js";
import { SqliteLedgerStore } from "./ledger-store.js";
import { SqliteLimitCounters } from "./limit-counters.js";
import { SqliteLinkage } from "./linkage-repository.js";
import { SqliteNotifyOutbox } from "./notify-outbox.js";
import { SqlitePolicies } from "./policy-repository.js";
import { SqliteStreamPositions } from "./stream-positions.js";

export interface SqliteStoreOptions {
  /** See OpenOptions.busyTimeoutMs. */
  busyTimeoutMs?: number;
  /** Fold the WAL into the database on a worker thread (long-running processes). */
  backgroundCheckpoints?: boolean | CheckpointerOptions;
}

/**
 * One connection, every repository on it, so that an effect an append carries commits in the entry's
 * own transaction. Each repository is built on first use: preparing every statement of every table
 * would cost each one-shot command (`arbiter log verify` needs the ledger and linkage only).
 */
export class SqliteStore implements Store {
  readonly location: StoreLocation;
  readonly ledger: SqliteLedgerStore;
  private readonly built: { -readonly [K in Exclude<keyof Store, "location" | "ledger">]?: Store[K] } = {};

  /**
   * `connection` is the live handle, for the SQLite-specific tests that must act on this very
   * connection (max_page_count is per connection); product code outside store/ never reaches it
   * (test/architecture.test.ts).
   */
  private constructor(readonly connection: SqliteDatabase, options: SqliteStoreOptions) {
    this.location = { engine: "sqlite", path: connection.name };
    this.ledger = new SqliteLedgerStore(connection, { backgroundCheckpoints: options.backgroundCheckpoints ?? false });
  }

  /** Opens the store file at `path` (which must exist and be an Arbiter store), migrating it if older. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const db = openDatabase(path, { create: false, ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}) });
    try {
      return new SqliteStore(db, options);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  get identities(): IdentityRepository {
    return (this.built.identities ??= new SqliteIdentities(this.connection));
  }

  get policies(): PolicyRepository {
    return (this.built.policies ??= new SqlitePolicies(this.connection));
  }

  get approvals(): ApprovalRepository {
    return (this.built.approvals ??= new SqliteApprovals(this.connection));
  }

  get grants(): GrantRepository {
    return (this.built.grants ??= new SqliteGrants(this.connection));
  }

  get breakGlass(): BreakGlassRepository {
    return (this.built.breakGlass ??= new SqliteBreakGlass(this.connection));
  }

  get linkage(): LinkageRepository {
    return (this.built.linkage ??= new SqliteLinkage(this.connection));
  }

  get limitCounters(): LimitCounterTable {
    return (this.built.limitCounters ??= new SqliteLimitCounters(this.connection));
  }

  get notifyOutbox(): NotifyOutboxRepository {
    return (this.built.notifyOutbox ??= new SqliteNotifyOutbox(this.connection));
  }

  get streamPositions(): StreamPositionRepository {
    return (this.built.streamPositions ??= new SqliteStreamPositions(this.connection));
  }
}

/** A read-only view of the ledger in the store file at `path`, for a worker thread (one connection of its own). */
export function openSqliteReader(path: string): SqliteLedgerStore {
  return new SqliteLedgerStore(openDatabase(path, { create: false, readonly: true }));
}
