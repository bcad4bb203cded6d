// An identity's entitlements granted against those it used: the actions policy could allow it, and its allowed decisions of the last 30 days.
import type { IdentityDirectory } from "../identity/index.js";
import type { Ledger } from "../ledger/index.js";
import { buildCedarRequest, mayAllow, PRINCIPAL_ENTITY_TYPES } from "../policy/index.js";
import { ArbiterError, type DecisionReasonCode } from "../record/index.js";
import type { DecisionEngine } from "./engine.js";

/** The usage window: an entitlement unused this long is a least-privilege candidate. */
export const USAGE_WINDOW_DAYS = 30;
export const MAX_ENTITLEMENTS_PAGE = 200;

export interface Entitlement {
  action: string;
  /** Whether the active policy could allow the identity some call of the action (on some resource, with some arguments, at some time). */
  granted: boolean;
  /** The resource types it could be allowed on. */
  resource_types: string[];
  /** Allowed decisions of the identity for the action in the window. */
  used: number;
  last_used?: string;
  /** Granted and not used in the window: a candidate to take away. */
  unused: boolean;
}

export interface EntitlementsPage {
  identity: { id: string; type: string; status: string };
  policy_version: string;
  window: { from: string; to: string; days: number };
  /** Over every page: granted actions, how many of them were used, and the unused ones. */
  totals: { granted: number; used: number; unused: number };
  entitlements: Entitlement[];
  /** Pass as `after` for the next page; absent on the last. */
  next_after?: string;
}

interface EntitlementDeps {
  engine: DecisionEngine;
  identities: IdentityDirectory;
  ledger: Pick<Ledger, "reader">;
  now: () => Date;
}

/** As in visibleTo: what a call may vary is unknown, so an action reachable by some call counts as granted. */
const UNKNOWN_CONTEXT = ["now", "intent", "auth", "args", "paths", "args_digest"];
/** An action behind an approval or a step-up is granted: the identity can get it. */
const CHALLENGES: readonly DecisionReasonCode[] = ["APPROVAL_REQUIRED", "STEP_UP_REQUIRED"];

/**
 * Granted: each action the active policy set declares for the identity's principal type that Cedar
 * partial evaluation, with the resource and the call's variable context unknown, says could be
 * allowed (a sound over-approximation; break-glass is not counted). Used: the identity's `allow`
 * decisions per action in the ledger's record index over the last 30 days. Actions used but no
 * longer granted are listed too (`granted: false`). Paged by action name.
 */
export function entitlementsOf(deps: EntitlementDeps, id: string, page: { after?: string; limit?: number } = {}): EntitlementsPage {
  const identity = deps.identities.get(id);
  if (!identity) throw new ArbiterError("NOT_FOUND", `identity ${id} does not exist`, { id });
  const now = deps.now();
  const from = new Date(now.getTime() - USAGE_WINDOW_DAYS * 86_400_000).toISOString();
  const to = now.toISOString();
  const { set } = deps.engine.policy();
  const principalType = PRINCIPAL_ENTITY_TYPES[identity.type];
  const granted = new Map<string, string[]>();
  for (const name of set.actions()) {
    const action = set.action(name);
    if (!action?.principalTypes.includes(principalType)) continue;
    const types = action.resourceTypes.filter((type) => {
      try {
        const request = buildCedarRequest({
          principal: { id: identity.id, type: identity.type, owner: identity.owner ?? "", status: identity.status, groups: identity.groups, attributes: identity.attributes },
          action: name,
          resource: { type, id: "" },
          now,
          auth: { method: "api_key", age_seconds: 0, acr: "" },
          delegation: [],
          args_digest: "",
        });
        return mayAllow(set, request, { unknownContext: UNKNOWN_CONTEXT, unknownResource: true, excludeReasons: CHALLENGES });
      } catch {
        return false;
      }
    });
    if (types.length > 0) granted.set(name, types);
  }
  // The index's `to` is exclusive: a decision made at this very instant counts.
  const until = new Date(now.getTime() + 1).toISOString();
  const used = new Map(deps.ledger.reader.countActions({ kind: "decision", subjectId: identity.id, outcome: "allow", from, to: until }).map((row) => [row.action, row]));
  const rows: Entitlement[] = [...new Set([...granted.keys(), ...used.keys()])].sort().map((action) => {
    const use = used.get(action);
    const isGranted = granted.has(action);
    return { action, granted: isGranted, resource_types: granted.get(action) ?? [], used: use?.count ?? 0, ...(use ? { last_used: use.last } : {}), unused: isGranted && !use };
  });
  const limit = Math.min(Math.max(1, page.limit ?? 100), MAX_ENTITLEMENTS_PAGE);
  const start = page.after === undefined ? 0 : rows.findIndex((row) => row.action > (page.after ?? ""));
  const slice = start < 0 ? [] : rows.slice(start, start + limit);
  const more = start >= 0 && start + limit < rows.length;
  return {
    identity: { id: identity.id, type: identity.type, status: identity.status },
    policy_version: set.version,
    window: { from, to, days: USAGE_WINDOW_DAYS },
    totals: { granted: granted.size, used: rows.filter((r) => r.granted && r.used > 0).length, unused: rows.filter((r) => r.unused).length },
    entitlements: slice,
    ...(more ? { next_after: slice.at(-1)?.action } : {}),
  };
}
