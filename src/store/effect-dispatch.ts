// Applies StoreEffects through the repositories of one store, inside the ledger's write transaction of
// the entry they come with: one dispatch for every store (SQLite, PostgreSQL), each repository's
// method doing the SQL of its engine.
import { ArbiterError } from "../record/index.js";
import type { ApprovalState, NewApprovalRequest } from "./contracts/approvals.js";
import type { NewBreakGlassSession } from "./contracts/break-glass.js";
import type { StoreEffect } from "./contracts/effects.js";
import type { NewGrant } from "./contracts/grants.js";
import type { IdentityEffect } from "./contracts/identities.js";
import type { PolicyActivation } from "./contracts/policies.js";
import type { RawValueSelector } from "./types.js";

/** What applying an effect needs from a store: each method throws CONFLICT when the state moved on. */
export interface EffectTargets {
  grants: { insert(grant: NewGrant): void; consume(id: string, at: string): void; revoke(id: string): void };
  approvals: {
    insert(request: NewApprovalRequest): void;
    decide(id: string, state: Exclude<ApprovalState, "pending">, at: string, approver: string | null, justification: string | null): void;
  };
  breakGlass: { open(session: NewBreakGlassSession): void; use(id: string): void; end(id: string, at: string): void; review(id: string, at: string, reviewer: string, note: string): void };
  policies: { activate(activation: PolicyActivation): void };
  identities: { apply(effect: IdentityEffect): void };
  outbox: { finish(deliveryId: string, owner: string): void };
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
