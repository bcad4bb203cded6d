// Credentials authenticated once and remembered until identity state changes, in this process or any other.
// Both doors use it: the operator's bearer credential of an API request, and the caller's credential a
// PEP passes for a decision (subject.credential), the hot path's largest store read.
import { ChangeBoundCache } from "../store/index.js";
import type { Authenticated, AuthResult } from "./authenticate.js";

/** Bounds memory; an evicted credential is only authenticated again. */
const DEFAULT_MAX_ENTRIES = 1024;

/**
 * A remembered success is good while the identity tables' change counter has not moved (a revocation,
 * suspension, rotation or role change by this process or another one moves it) and until the
 * credential's own clock runs out: a token's `exp`, a rotated key's grace, the grace of the
 * identity's last rotation. A delegated token is never remembered: its links have clocks of their own.
 * Refusals are never remembered, so a reactivated identity is accepted on its next request. A hit
 * answers what the first lookup answered, except an API key's `auth_time`, which is the moment the key
 * is presented (a step-up rule reads how long ago the caller authenticated); a token's is its own claim.
 */
export class CredentialCache {
  private readonly entries: ChangeBoundCache<Authenticated>;

  constructor(
    private readonly version: () => number,
    private readonly authenticate: (credential: string, now: Date) => Promise<AuthResult>,
    maxEntries = DEFAULT_MAX_ENTRIES,
  ) {
    this.entries = new ChangeBoundCache<Authenticated>(maxEntries);
  }

  /**
   * `version` is the change counter as read before the lookup (a change committed while it runs then
   * leaves the entry already stale); a decision passes the value it read once for all its lookups.
   */
  async lookup(credential: string, now: Date, version = this.version()): Promise<AuthResult> {
    const hit = this.entries.get(credential, version, now.getTime());
    if (hit !== undefined) return { ok: true, auth: hit.credential.kind === "api_key" ? presentedAt(hit, now) : hit };
    const result = await this.authenticate(credential, now);
    if (!result.ok) {
      this.entries.delete(credential);
      return result;
    }
    const until = rememberUntil(result.auth, now);
    if (until !== undefined) this.entries.set(credential, result.auth, version, until);
    return result;
  }
}

function presentedAt(auth: Authenticated, now: Date): Authenticated {
  return { ...auth, credential: { ...auth.credential, auth_time: now.toISOString() } };
}

function rememberUntil(auth: Authenticated, now: Date): number | undefined {
  if (auth.delegation.length > 0) return undefined;
  const ends: number[] = [];
  if (auth.credential.expires_at !== null) ends.push(Date.parse(auth.credential.expires_at));
  const grace = auth.identity.credentials_grace_until;
  if (grace !== null && Date.parse(grace) > now.getTime()) ends.push(Date.parse(grace));
  const until = Math.min(Number.POSITIVE_INFINITY, ...ends);
  // A token accepted within the clock-skew leeway past its `exp` is checked again every time.
  return until > now.getTime() ? until : undefined;
}
