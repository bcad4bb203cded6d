// Issuing, rotating and revoking credentials, each with its lifecycle record in the same transaction.
import { ArbiterError } from "../record/index.js";
import { newApiKey } from "./api-key.js";
import { requireActive, requireIdentity, unchanged, type ChangeContext } from "./changes.js";
import { lifecycleRecord } from "./records.js";
import type { Actor, CredentialInfo } from "./schema.js";

/** A rotated key kept alive longer than this is no longer a rotation but a second key. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

export interface IssuedApiKey {
  /** `arb_<prefix>_<secret>`: shown once, stored only as a hash. */
  key: string;
  credential: CredentialInfo;
}

export interface RotatedApiKey extends IssuedApiKey {
  /** The keys replaced, now `rotated`; usable until their `expires_at` (the end of the grace period). */
  replaced: CredentialInfo[];
}

function newKeyCredential(identityId: string, at: string): { key: string; hash: Buffer; credential: CredentialInfo } {
  const { key, credentialId, secretHash } = newApiKey();
  const credential: CredentialInfo = {
    id: credentialId,
    identity_id: identityId,
    kind: "api_key",
    status: "active",
    created_at: at,
    expires_at: null,
    rotated_at: null,
    revoked_at: null,
    replaced_by: null,
    task: null,
  };
  return { key, hash: secretHash, credential };
}

export async function issueApiKey(ctx: ChangeContext, id: string, actor: Actor): Promise<IssuedApiKey> {
  const { rows } = ctx;
  const identity = requireActive(rows, id);
  const at = ctx.now().toISOString();
  const { key, hash, credential } = newKeyCredential(id, at);
  await ctx.ledger.append(lifecycleRecord("credential_issued", identity, actor, { credential }), {
    effects: [
      ...unchanged(rows, id, identity.owner),
      { type: "credential.insert", credential: { id: credential.id, identityId: id, kind: "api_key", secretHash: hash, createdAt: at, expiresAt: null } },
    ],
  });
  return { key, credential };
}

/**
 * Issues a new key and marks every active key of the identity `rotated` at once, or after
 * `graceSeconds`. Tokens issued before now are refused from the same moment (credentials_not_before).
 */
export async function rotateApiKey(ctx: ChangeContext, id: string, actor: Actor, options: { graceSeconds?: number; reason?: string } = {}): Promise<RotatedApiKey> {
  const { rows } = ctx;
  const grace = options.graceSeconds ?? 0;
  if (!Number.isSafeInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
    throw new ArbiterError("REQUEST_INVALID", `grace must be whole seconds from 0 to ${MAX_GRACE_SECONDS}, got ${String(options.graceSeconds)}`);
  }
  const identity = requireActive(rows, id);
  const now = ctx.now();
  const at = now.toISOString();
  const graceUntil = new Date(now.getTime() + grace * 1000).toISOString();
  const replaced = rows.activeKeysOf(id);
  const { key, hash, credential } = newKeyCredential(id, at);
  const record = lifecycleRecord("rotated", identity, actor, {
    credential,
    ...(options.reason !== undefined ? { note: options.reason } : {}),
    attributes: { replaced, ...(grace > 0 ? { grace_seconds: grace, grace_until: graceUntil } : {}) },
  });
  await ctx.ledger.append(record, {
    effects: [
      ...unchanged(rows, id, identity.owner),
      // CONFLICT when the active keys are no longer `replaced`.
      { type: "api_key.rotate", identityId: id, replaced, replacedBy: credential.id, at, validUntil: graceUntil, graceUntil: grace > 0 ? graceUntil : null },
      { type: "credential.insert", credential: { id: credential.id, identityId: id, kind: "api_key", secretHash: hash, createdAt: at, expiresAt: null } },
    ],
  });
  return { key, credential, replaced: rows.credentialsOf(id).filter((c) => replaced.includes(c.id)) };
}

export async function revokeCredential(ctx: ChangeContext, credentialId: string, actor: Actor, reason?: string): Promise<CredentialInfo> {
  const { rows } = ctx;
  const row = rows.credential(credentialId);
  if (row === undefined) throw new ArbiterError("NOT_FOUND", `no credential ${JSON.stringify(credentialId)} exists; see \`arbiter identity show ID\``, { credentialId });
  if (row.status === "revoked") throw new ArbiterError("CONFLICT", `credential ${credentialId} is already revoked`, { credentialId });
  const identity = requireIdentity(rows, row.identity_id);
  const at = ctx.now().toISOString();
  const { secret_hash: _hash, ...info } = row;
  await ctx.ledger.append(lifecycleRecord("revoked", identity, actor, { credential: info, ...(reason !== undefined ? { note: reason } : {}) }), {
    effects: [{ type: "credential.revoke", id: credentialId, at }],
  });
  return { ...info, status: "revoked", revoked_at: at };
}
