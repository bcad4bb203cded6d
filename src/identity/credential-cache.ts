// Credentials authenticated once and remembered until identity state changes, in this process or any other.
import { ChangeBoundCache } from "../store/index.js";
import type { Authenticated, AuthResult } from "./authenticate.js";

/** Bounds memory; an evicted credential is only authenticated again. */
const MAX_ENTRIES = 1024;

/**
 * A remembered success is good while the identity tables' change counter has not moved (a revocation,
 * suspension, rotation or role change by this process or another one moves it) and until the
 * credential's own clock runs out: a token's `exp`, a rotated key's grace, the grace of the
 * identity's last rotation. A delegated token is never remembered: its links have clocks of their own.
 * Refusals are never remembered, so a reactivated identity is accepted on its next request. A hit
 * returns the first lookup's answer whole, `auth_time` included: fit for operators, whose requests
 * no step-up reads.
 */
export class CredentialCache {
  private readonly entries = new ChangeBoundCache<Authenticated>(MAX_ENTRIES);

  constructor(
    private readonly version: () => number,
    private readonly authenticate: (credential: string, now: Date) => Promise<AuthResult>,
  ) {}

  async lookup(credential: string, now: Date): Promise<AuthResult> {
    // Read before the lookup: a change committed while it runs leaves the entry already stale.
    const version = this.version();
    const hit = this.entries.get(credential, version, now.getTime());
    if (hit !== undefined) return { ok: true, auth: hit };
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
