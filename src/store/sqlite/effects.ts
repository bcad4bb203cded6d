// Applies StoreEffects with SQL on the ledger's connection, inside the write transaction of the entry they come with.
import { ArbiterError } from "../../record/index.js";
import type { StoreEffect } from "../contracts/effects.js";
import { SqliteApprovals } from "./approval-repository.js";
import { SqliteBreakGlass } from "./break-glass-repository.js";
import type { SqliteDatabase } from "./database.js";
import { SqliteGrants } from "./grant-repository.js";
import { SqliteIdentities } from "./identity-repository.js";
import { SqliteNotifyOutbox } from "./notify-outbox.js";
import { SqlitePolicies } from "./policy-repository.js";
import type { SqliteRecordQueries } from "./record-queries.js";

export class SqliteEffects {
  private readonly grants: SqliteGrants;
  private readonly approvals: SqliteApprovals;
  private readonly breakGlass: SqliteBreakGlass;
  private readonly policies: SqlitePolicies;
  private readonly identities: SqliteIdentities;
  private readonly outbox: SqliteNotifyOutbox;

  constructor(db: SqliteDatabase, private readonly queries: SqliteRecordQueries) {
    this.grants = new SqliteGrants(db);
    this.approvals = new SqliteApprovals(db);
    this.breakGlass = new SqliteBreakGlass(db);
    this.policies = new SqlitePolicies(db);
    this.identities = new SqliteIdentities(db);
    this.outbox = new SqliteNotifyOutbox(db);
  }

  applyAll(effects: readonly StoreEffect[]): void {
    for (const effect of effects) this.apply(effect);
  }

  private apply(effect: StoreEffect): void {
    switch (effect.type) {
      case "grant.insert":
        return this.grants.insert(effect.grant);
      case "grant.consume":
        return this.grants.consume(effect.id, effect.at);
      case "grant.revoke":
        return this.grants.revoke(effect.id);
      case "approval.insert":
        return this.approvals.insert(effect.request);
      case "approval.decide":
        return this.approvals.decide(effect.id, effect.state, effect.at, effect.approver, effect.justification);
      case "break_glass.open":
        return this.breakGlass.open(effect.session);
      case "break_glass.use":
        return this.breakGlass.use(effect.id);
      case "break_glass.end":
        return this.breakGlass.end(effect.id, effect.at);
      case "break_glass.review":
        return this.breakGlass.review(effect.id, effect.at, effect.reviewer, effect.note);
      case "policy.activate":
        return this.policies.activate(effect.activation);
      case "raw_values.erase": {
        const deleted = this.queries.eraseRawValues(effect.selector);
        if (deleted !== effect.expected) {
          throw new ArbiterError("CONFLICT", `raw values were recorded for ${JSON.stringify(effect.selector)} during the erasure; run it again`);
        }
        return;
      }
      case "notify.finish":
        return this.outbox.finish(effect.deliveryId, effect.owner);
      default:
        return this.identities.apply(effect);
    }
  }
}
