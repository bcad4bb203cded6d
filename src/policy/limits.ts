// limits.yaml: rate limits (token buckets) and quotas (fixed windows) per identity and action; the counters live in decide/.
import { z } from "zod";
import { identityTypeSchema, type IdentityType } from "../record/index.js";
import type { PolicyProblem } from "./problems.js";
import { POLICY_ID } from "./rule.js";
import { parseYaml } from "./yaml-source.js";

export const LIMITS_FILE = "limits.yaml";

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, second: 1, m: 60, minute: 60, h: 3600, hour: 3600, d: 86400, day: 86400, week: 604800 };

/** "5/minute", "100/hour", "20/day", "10/30s": a count per window. */
const RATE = /^([1-9][0-9]{0,8})\s*\/\s*([1-9][0-9]{0,5})?\s*(s|second|m|minute|h|hour|d|day|week)s?$/;

export interface Budget {
  count: number;
  perSeconds: number;
}

const budgetSchema = z.string().transform((text, ctx): Budget => {
  const m = RATE.exec(text.trim());
  if (!m) {
    ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not a budget like "5/minute", "20/day" or "10/30s"` });
    return z.NEVER;
  }
  return { count: Number(m[1]), perSeconds: Number(m[2] ?? 1) * (UNIT_SECONDS[m[3] ?? "s"] ?? 1) };
});

const names = z.array(z.string().min(1).max(256)).min(1);

function ruleSchema<B extends z.ZodType<Budget>>(budget: B) {
  return z
    .strictObject({
      id: z.string().regex(POLICY_ID, { error: "an id is 1 to 128 letters, digits or . _ : -" }),
      note: z.string().min(1).max(1000).optional(),
      match: z
        .strictObject({
          principal_types: z.array(identityTypeSchema).min(1).optional(),
          principal_ids: names.optional(),
          groups: names.optional(),
          actions: names.optional(),
        })
        .default({}),
      rate: budget.optional(),
      /** Largest number of calls a full bucket allows at once; defaults to the rate's count. */
      burst: z.number().int().min(1).max(1e9).optional(),
      quota: budget.optional(),
    })
    .refine((r) => (r.rate === undefined) !== (r.quota === undefined), { error: "a limit has exactly one of rate or quota" })
    .refine((r) => r.burst === undefined || r.rate !== undefined, { error: "burst belongs to a rate" });
}

/** The stored (normalized) form, in policy set content. */
export const rateLimitRulesSchema = z.array(
  ruleSchema(z.strictObject({ count: z.number().int().min(1), perSeconds: z.number().int().min(1) })),
);

/**
 * One limit. Every given `match` list must contain the request's value (groups: any of the
 * principal's groups); an absent list matches anything. A `rate` is a token bucket of `burst`
 * tokens refilled at count/perSeconds; a `quota` allows `count` calls per fixed window.
 */
export type RateLimitRule = z.infer<typeof rateLimitRulesSchema>[number];

const fileSchema = z.strictObject({ limits: z.array(ruleSchema(budgetSchema)).default([]) });

export interface LimitSubject {
  principalType: IdentityType;
  principalId: string;
  groups: readonly string[];
  action: string;
}

/** The limits that apply to one call, in rule id order. */
export function matchingLimits(rules: readonly RateLimitRule[], subject: LimitSubject): RateLimitRule[] {
  return rules.filter(({ match }) =>
    (match.principal_types === undefined || match.principal_types.includes(subject.principalType as Exclude<IdentityType, "unknown">)) &&
    (match.principal_ids === undefined || match.principal_ids.includes(subject.principalId)) &&
    (match.actions === undefined || match.actions.includes(subject.action)) &&
    (match.groups === undefined || match.groups.some((g) => subject.groups.includes(g))),
  );
}

/** Parses limits.yaml; `actions` lists the requestable actions, which every matched action must be. */
export function parseLimits(text: string, actions: ReadonlySet<string>): { limits: RateLimitRule[]; problems: PolicyProblem[] } {
  const { value, problems, at } = parseYaml(text, LIMITS_FILE, fileSchema);
  if (!value) return { limits: [], problems };
  const seen = new Set<string>();
  value.limits.forEach((rule, i) => {
    const where = { file: LIMITS_FILE, ...at(["limits", i]) };
    if (seen.has(rule.id)) problems.push({ ...where, message: `limit id ${rule.id} is used twice` });
    seen.add(rule.id);
    for (const action of rule.match.actions ?? []) {
      if (!actions.has(action)) problems.push({ ...where, message: `limit ${rule.id} matches action ${action}, which the schema does not declare` });
    }
  });
  return { limits: sortLimits(value.limits), problems };
}

/** Limits in id order: the order they are written in carries no meaning. */
export function sortLimits(limits: readonly RateLimitRule[]): RateLimitRule[] {
  return [...limits].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
