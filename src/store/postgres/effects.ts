// Applies StoreEffects with SQL on the store's connection, inside the ledger's write transaction of
// the entry they come with: the same dispatch as the SQLite store's (sqlite/effects.ts).
import { ArbiterError } from "../../record/index.js";
import type { StoreEffect } from "../contracts/effects.js";
import type { RawValueSelector } from "../types.js";
import type { PgApprovals } from "./approval-repository.js";
import type { PgBreakGlass } from "./break-glass-repository.js";
import type { PgGrants } from "./grant-repository.js";
import type { PgIdentities } from "./identity-repository.js";
import type { PgNotifyOutbox } from "./notify-outbox.js";
import type { PgPolicies } from "./policy-repository.js";

export interface EffectTargets {
  grants: PgGrants;
  approvals: PgApprovals;
  breakGlass: PgBreakGlass;
  policies: PgPolicies;
  identities: PgIdentities;
  outbox: PgNotifyOutbox;
  eraseRawValues(selector: RawValueSelector): number;
}

export function applyEffects(targets: EffectTargets, effects: readonly StoreEffect[]): void {
  for (const effect of effects) applyEffect(targets, effect);
}

function applyEffect(t: EffectTargets, effect: StoreEffect): void {
  switch (effect.type) {
    case "grant.insert":
      return t.grants.insert(effect.grant);
    case "grant.consume":
      return t.grants.consume(effect.id, effect.at);
    case "grant.revoke":
      return t.grants.revoke(effect.id);
    case "approval.insert":
      return t.approvals.insert(effect.request);
    case "approval.decide":
      return t.approvals.decide(effect.id, effect.state, effect.at, effect.approver, effect.justification);
    case "break_glass.open":
      return t.breakGlass.open(effect.session);
    case "break_glass.use":
      return t.breakGlass.use(effect.id);
    case "break_glass.end":
      return t.breakGlass.end(effect.id, effect.at);
    case "break_glass.review":
      return t.breakGlass.review(effect.id, effect.at, effect.reviewer, effect.note);
    case "policy.activate":
      return t.policies.activate(effect.activation);
    case "raw_values.erase": {
      const deleted = t.eraseRawValues(effect.selector);
      if (deleted !== effect.expected) {
        throw new ArbiterError("CONFLICT", `raw values were recorded for ${JSON.stringify(effect.selector)} during the erasure; run it again`);
      }
      return;
    }
    case "notify.finish":
      return t.outbox.finish(effect.deliveryId, effect.owner);
    default:
      return t.identities.apply(effect);
  }
}
