// The PostgreSQL store: every repository of the Store bundle on the one connection the ledger writes
// through, so that an effect an append carries commits in the entry's own transaction.
import type { Store } from "../contracts/store.js";
import { PgApprovals } from "./approval-repository.js";
import { PgBreakGlass } from "./break-glass-repository.js";
import { PgConnection, type PostgresLocation } from "./connection.js";
import { applyEffects } from "../effect-dispatch.js";
import { PgGrants } from "./grant-repository.js";
import { PgIdentities } from "./identity-repository.js";
import { PgLedgerStore } from "./ledger-store.js";
import { PgLimitCounters } from "./limit-counters.js";
import { PgLinkage } from "./linkage-repository.js";
import { migratePostgres } from "./migrations.js";
import { PgNotifyOutbox } from "./notify-outbox.js";
import { PgPolicies } from "./policy-repository.js";
import { PgStreamPositions } from "./stream-positions.js";

/**
 * Unlike the SQLite store, every repository is built at once: none prepares anything on the server,
 * so building one costs an object, and the effects dispatcher needs most of them.
 */
export class PostgresStore implements Store {
  readonly ledger: PgLedgerStore;
  readonly identities: PgIdentities;
  readonly policies: PgPolicies;
  readonly approvals: PgApprovals;
  readonly grants: PgGrants;
  readonly breakGlass: PgBreakGlass;
  readonly linkage: PgLinkage;
  readonly limitCounters: PgLimitCounters;
  readonly notifyOutbox: PgNotifyOutbox;
  readonly streamPositions: PgStreamPositions;

  private constructor(
    readonly connection: PgConnection,
    readonly location: PostgresLocation,
  ) {
    this.identities = new PgIdentities(connection);
    this.policies = new PgPolicies(connection);
    this.approvals = new PgApprovals(connection);
    this.grants = new PgGrants(connection);
    this.breakGlass = new PgBreakGlass(connection);
    this.linkage = new PgLinkage(connection);
    this.limitCounters = new PgLimitCounters(connection);
    this.notifyOutbox = new PgNotifyOutbox(connection);
    this.streamPositions = new PgStreamPositions(connection);
    const targets = {
      grants: this.grants,
      approvals: this.approvals,
      breakGlass: this.breakGlass,
      policies: this.policies,
      identities: this.identities,
      outbox: this.notifyOutbox,
      eraseRawValues: (selector: Parameters<PgLedgerStore["eraseRawValues"]>[0]) => this.ledger.eraseRawValues(selector),
    };
    this.ledger = new PgLedgerStore(connection, { applyEffects: (effects) => applyEffects(targets, effects) });
  }

  /**
   * Opens the store in `location`'s schema, bringing its tables up to date; with create (`arbiter
   * init`), makes the schema and its tables when there are none; with fresh, refuses a schema that
   * holds a store already. Refuses a foreign schema without writing to it. Closing the ledger store closes the connection (LedgerStore.close).
   */
  static open(location: PostgresLocation, options: { create?: boolean; fresh?: boolean } = {}): PostgresStore {
    const connection = PgConnection.open(location, { createSchema: options.create ?? false });
    try {
      migratePostgres(connection, { create: options.create ?? false, fresh: options.fresh ?? false });
      return new PostgresStore(connection, location);
    } catch (err) {
      connection.close();
      throw err;
    }
  }
}

/**
 * A view of the ledger in `location` on a connection of its own (a worker thread's), for reads only:
 * the process that opened the store has brought its schema up to date, so a reader writes nothing.
 */
export function openPostgresReader(location: PostgresLocation): PgLedgerStore {
  return new PgLedgerStore(PgConnection.open(location));
}
