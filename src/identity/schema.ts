// What an identity and a credential are, and the inputs that create or change one (shared by CLI and HTTP).
import { z } from "zod";
import { identityTypeSchema, type Caller } from "../record/index.js";

/** Ids travel in URLs, CLI arguments, Cedar entity ids and JWT `sub` claims, hence this small alphabet. */
export const identityIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,128}$/, { error: "expected 1 to 128 letters, digits or . _ @ : -" });

/** A task id: it travels in URL paths (at most 100 characters there), tokens and records, so it is short and plain. */
export const taskIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, { error: "expected 1 to 64 letters, digits or . _ : - (starting with a letter or digit)" });

/** Identity types Arbiter manages (`unknown` exists only in imported records). */
export const managedTypeSchema = identityTypeSchema;
export type ManagedType = z.infer<typeof managedTypeSchema>;

export const identityStatusSchema = z.enum(["active", "suspended", "revoked", "offboarded"]);
export type IdentityStatus = z.infer<typeof identityStatusSchema>;

/** Operator roles: who may administer, approve, audit, or ask for decisions as an enforcement point. */
export const ROLES = ["admin", "approver", "auditor", "pep"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

/** Attributes are read by policies on every decision; the bound keeps each request small. */
export const ATTRIBUTES_LIMIT_BYTES = 8192;

const labelSchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, { error: "expected 1 to 128 visible ASCII characters" });

const attributesSchema = z
  .record(z.string().min(1).max(128), z.json())
  .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= ATTRIBUTES_LIMIT_BYTES, {
    error: `attributes exceed ${ATTRIBUTES_LIMIT_BYTES} bytes of JSON`,
  });

const displayNameSchema = z.string().min(1).max(256);

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

/**
 * What a `pep` identity may assert when it names the caller by `subject.id` instead of forwarding the
 * caller's credential: identities of these types, in these groups, or with these ids (any one
 * suffices), and whether it may vouch for how freshly the caller authenticated (`acr`,
 * `authenticated_at`, a user confirmation). Null (the default, also for PEPs created before scopes
 * existed) asserts nothing: such a PEP forwards credentials only (docs/identities.md).
 */
export const assertionScopeSchema = z.strictObject({
  types: z.array(managedTypeSchema).transform(unique).default([]),
  groups: z.array(labelSchema).max(64).transform(unique).default([]),
  ids: z.array(identityIdSchema).max(256).transform(unique).default([]),
  authentication: z.boolean().default(false),
});
export type AssertionScope = z.infer<typeof assertionScopeSchema>;

/** Input of `create`: a non-human identity names its accountable human owner; a human has none. */
export const createIdentitySchema = z.strictObject({
  id: identityIdSchema,
  type: managedTypeSchema,
  owner: identityIdSchema.optional(),
  display_name: displayNameSchema.optional(),
  groups: z.array(labelSchema).max(64).transform(unique).default([]),
  roles: z.array(roleSchema).transform(unique).default([]),
  attributes: attributesSchema.default({}),
  assertion_scope: assertionScopeSchema.nullable().optional(),
});
export type CreateIdentityInput = z.input<typeof createIdentitySchema>;

/** Input of `update`: each given field replaces the stored one; `display_name: null` clears it. */
export const updateIdentitySchema = z
  .strictObject({
    owner: identityIdSchema.optional(),
    display_name: displayNameSchema.nullable().optional(),
    groups: z.array(labelSchema).max(64).transform(unique).optional(),
    roles: z.array(roleSchema).transform(unique).optional(),
    attributes: attributesSchema.optional(),
    /** Replaces the whole scope; null: the PEP asserts nothing. */
    assertion_scope: assertionScopeSchema.nullable().optional(),
  })
  .refine((patch) => Object.values(patch).some((v) => v !== undefined), { error: "nothing to update" });
export type UpdateIdentityInput = z.input<typeof updateIdentitySchema>;

export const listFilterSchema = z.strictObject({
  type: managedTypeSchema.optional(),
  status: identityStatusSchema.optional(),
  owner: identityIdSchema.optional(),
  group: labelSchema.optional(),
});
export type ListFilter = z.infer<typeof listFilterSchema>;

// The shapes the store keeps (store/contracts/identities.ts); the schemas above check what goes in.
export type { CredentialInfo, CredentialKind, CredentialStatus, Identity } from "../store/index.js";
import type { Identity } from "../store/index.js";

/**
 * Who makes a change; recorded as the `actor` of the lifecycle record, and with how it was
 * determined (a credential, --actor, $ARBITER_ACTOR or the OS account) as its `caller`.
 */
export interface Actor {
  id: string;
  type: ManagedType;
  determined_by?: Caller["determined_by"];
  credential?: Caller["credential"];
}

export const actorSchema = z.strictObject({ id: identityIdSchema, type: managedTypeSchema });

/** A new identity as create() stores it: active, no credentials yet. */
export function newIdentity(parsed: z.output<typeof createIdentitySchema>, at: string): Identity {
  return {
    id: parsed.id,
    type: parsed.type,
    owner: parsed.owner ?? null,
    status: "active",
    display_name: parsed.display_name ?? null,
    groups: parsed.groups,
    roles: parsed.roles,
    attributes: parsed.attributes,
    assertion_scope: parsed.assertion_scope ?? null,
    credentials_not_before: null,
    credentials_grace_until: null,
    created_at: at,
    updated_at: at,
  };
}
