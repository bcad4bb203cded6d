// The SQLite store's targets of the one effect dispatch (../effect-dispatch.ts), on the ledger's connection.
import type { StoreEffect } from "../contracts/effects.js";
import { applyEffects, type EffectTargets } from "../effect-dispatch.js";
import { SqliteApprovals } from "./approval-repository.js";
import { SqliteBreakGlass } from "./break-glass-repository.js";
import type { SqliteDatabase } from "./database.js";
import { SqliteGrants } from "./grant-repository.js";
import { SqliteIdentities } from "./identity-repository.js";
import { SqliteNotifyOutbox } from "./notify-outbox.js";
import { SqlitePolicies } from "./policy-repository.js";
import type { SqliteRecordQueries } from "./record-queries.js";

export class SqliteEffects {
  private readonly targets: EffectTargets;

  constructor(db: SqliteDatabase, queries: SqliteRecordQueries) {
    this.targets = {
      grants: new SqliteGrants(db),
      approvals: new SqliteApprovals(db),
      breakGlass: new SqliteBreakGlass(db),
      policies: new SqlitePolicies(db),
      identities: new SqliteIdentities(db),
      outbox: new SqliteNotifyOutbox(db),
      eraseRawValues: (selector) => queries.eraseRawValues(selector),
    };
  }

  applyAll(effects: readonly StoreEffect[]): void {
    applyEffects(this.targets, effects);
  }
}
