// A policy set's canonical content: what its version hashes, what the store keeps, and how two versions differ.
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalBytes, canonicalize } from "../record/index.js";
import { rateLimitRulesSchema, type RateLimitRule } from "./limits.js";
import type { SchemaJsonForm } from "./schema.js";

/**
 * Everything that gives a set its meaning and nothing else: the user schema in Cedar's JSON form,
 * each policy's Cedar-formatted text (comments and layout dropped) in id order, and the limits.
 */
export interface PolicySetContent {
  schema: SchemaJsonForm;
  policies: { id: string; text: string }[];
  limits: RateLimitRule[];
}

export const policySetContentSchema = z.strictObject({
  schema: z.record(z.string(), z.strictObject({
    commonTypes: z.record(z.string(), z.unknown()).optional(),
    entityTypes: z.record(z.string(), z.unknown()),
    actions: z.record(z.string(), z.unknown()),
    annotations: z.record(z.string(), z.string()).optional(),
  })),
  policies: z.array(z.strictObject({ id: z.string().min(1), text: z.string().min(1) })),
  limits: rateLimitRulesSchema,
});

/** "sha256:" + hex SHA-256 of the RFC 8785 canonical JSON of the content. */
export function policySetVersion(content: PolicySetContent): string {
  return `sha256:${createHash("sha256").update(canonicalBytes(content)).digest("hex")}`;
}

export interface PolicyDiff {
  from_version: string | null;
  to_version: string;
  added: string[];
  removed: string[];
  changed: string[];
  schema_changed: boolean;
  limits_changed: boolean;
}

/** What changes between two contents, policies named by id; `from` is undefined for a first activation. */
export function diffPolicySets(from: PolicySetContent | undefined, to: PolicySetContent): PolicyDiff {
  const before = new Map((from?.policies ?? []).map((p) => [p.id, p.text]));
  const after = new Map(to.policies.map((p) => [p.id, p.text]));
  const added = [...after.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !after.has(id));
  const changed = [...after.keys()].filter((id) => before.has(id) && before.get(id) !== after.get(id));
  return {
    from_version: from ? policySetVersion(from) : null,
    to_version: policySetVersion(to),
    added: added.sort(),
    removed: removed.sort(),
    changed: changed.sort(),
    schema_changed: canonicalize(from?.schema ?? {}) !== canonicalize(to.schema),
    limits_changed: canonicalize(from?.limits ?? []) !== canonicalize(to.limits),
  };
}

/** The digest a policy_change record carries, so the diff it summarises can be checked later. */
export function diffHash(diff: PolicyDiff): string {
  return `sha256:${createHash("sha256").update(canonicalBytes(diff)).digest("hex")}`;
}
