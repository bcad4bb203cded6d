// Who is asking, in the decision's terms: identity/ resolves the caller (one place, both forms); a refusal becomes a verdict.
import type { Authenticated, Identity, IdentityDirectory, SubjectRef } from "../identity/index.js";
import type { RequestInput } from "../policy/index.js";
import { REASON_CODES } from "../record/index.js";
import { verdict, type Verdict } from "./verdict.js";

/** Who is asking, once the credential (or the PEP's assertion) has been checked. */
export interface ResolvedSubject {
  identity: Identity | undefined;
  auth: Authenticated | undefined;
  method: "api_key" | "token" | "asserted";
  authAgeSeconds: number;
  acr: string;
  /** Set when the caller may not act: the decision is this refusal, recorded like any other. */
  failure?: Verdict;
  /** For the record when no identity could be found: the asserted id, the credential id, or "anonymous". */
  label: string;
}

/** What policy sees of an identity as the principal: one shape for a decision, a listing and break-glass. */
export function principalOf(identity: Identity): RequestInput["principal"] {
  return { id: identity.id, type: identity.type, owner: identity.owner ?? "", status: identity.status, groups: identity.groups, attributes: identity.attributes };
}

/** Age used when nobody knows when the caller authenticated: never fresh enough for a step-up. */
export const UNKNOWN_AUTH_AGE = 2 ** 31 - 1;

export function secondsSince(iso: string | undefined, now: Date): number {
  if (iso === undefined) return UNKNOWN_AUTH_AGE;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
}

export async function resolveSubject(identities: IdentityDirectory, ref: SubjectRef, now: Date, state?: number): Promise<ResolvedSubject> {
  const result = await identities.resolve(ref, now, state);
  if (!result.ok) {
    const { reason, message } = result;
    const failure = verdict({ outcome: "deny", control: REASON_CODES[reason].control, reason, note: message });
    const label = result.identity?.id ?? ("id" in ref ? ref.id : (result.credentialId ?? "anonymous"));
    return { identity: result.identity, auth: undefined, method: "id" in ref ? "asserted" : "token", authAgeSeconds: UNKNOWN_AUTH_AGE, acr: "", failure, label };
  }
  const { subject } = result;
  return { identity: subject.identity, auth: subject.auth, method: subject.method, authAgeSeconds: secondsSince(subject.authTime, now), acr: subject.acr, label: subject.identity.id };
}
