// The hot path: who is asking — a presented API key or token, or an identity a PEP asserts — or why they are refused.
// The one place lifecycle is checked (status, credential, accountable owner, delegation links); state is read
// from the database on every call here (primary-key reads), so a change committed by any process takes effect
// at once. IdentityDirectory remembers successes only against the store's change counter (CredentialCache).
import { looksLikeApiKey, parseApiKey, secretMatches } from "./api-key.js";
import { linksOf, type DelegationLink } from "./delegation.js";
import type { Holder, IdentityRepository } from "../store/index.js";
import type { Identity } from "./schema.js";
import type { TokenKey } from "./signing-key.js";
import { looksLikeToken, verifyToken } from "./jwt.js";

export type AuthFailureReason =
  | "CREDENTIAL_INVALID"
  | "CREDENTIAL_EXPIRED"
  | "CREDENTIAL_REVOKED"
  | "CREDENTIAL_ROTATED"
  | "UNKNOWN_PRINCIPAL"
  | "IDENTITY_SUSPENDED"
  | "IDENTITY_REVOKED"
  | "IDENTITY_OFFBOARDED"
  | "NO_OWNER"
  | "TASK_COMPLETED";

export interface Authenticated {
  /** The identity making the call: the API key's holder, or the token's current actor. */
  identity: Identity;
  credential: {
    id: string;
    kind: "api_key" | "token";
    issued_at: string;
    expires_at: string | null;
    /** How the caller authenticated: `api_key`, or the token's `acr`. */
    acr: string;
    auth_time: string;
    /** A token's task, when it was issued for one. */
    task?: string;
  };
  /** Whom `identity` acts for, nearest first, origin last; empty when it acts for itself. */
  delegation: DelegationLink[];
  intent?: string;
  scope?: string[];
}

export type AuthResult =
  | { ok: true; auth: Authenticated }
  | { ok: false; reason: AuthFailureReason; message: string; identity?: Identity; credentialId?: string };

export interface AuthContext {
  rows: IdentityRepository;
  issuer: string;
  leewaySeconds: number;
  /** The token verification key, or undefined while no token was ever issued. */
  tokenKey: () => TokenKey | undefined;
}

/** Longer input is no credential of ours; refusing it unread bounds the work an attacker can cause. */
const MAX_CREDENTIAL_CHARS = 8192;

type Failure = Extract<AuthResult, { ok: false }>;

/**
 * How an enforcement point names the caller: the caller's own credential (Arbiter authenticates it),
 * or the id of an identity the PEP authenticated by its own means, with how freshly it did so.
 */
export type SubjectRef = { credential: string } | { id: string; authenticated_at?: string; acr?: string };

/** The caller once resolved: the identity, and how it was authenticated. */
export interface Subject {
  identity: Identity;
  /** The checked credential; absent when the PEP asserted the identity. */
  auth: Authenticated | undefined;
  method: "api_key" | "token" | "asserted";
  /** The credential's `acr`, or the one the PEP asserted ("" when none). */
  acr: string;
  /** When the caller last authenticated; undefined when nobody said (never fresh enough for a step-up). */
  authTime: string | undefined;
}

export type SubjectResult = { ok: true; subject: Subject } | Failure;

/** Says nothing about why: which part failed would help whoever is guessing. */
function invalid(): Failure {
  return { ok: false, reason: "CREDENTIAL_INVALID", message: "the credential is not valid" };
}

function fail(reason: AuthFailureReason, message: string, identity?: Identity, credentialId?: string): Failure {
  return {
    ok: false,
    reason,
    message,
    ...(identity !== undefined ? { identity } : {}),
    ...(credentialId !== undefined ? { credentialId } : {}),
  };
}

const STATUS_REASON = {
  suspended: "IDENTITY_SUSPENDED",
  revoked: "IDENTITY_REVOKED",
  offboarded: "IDENTITY_OFFBOARDED",
} as const;

/** Why a non-human identity has nobody accountable (no owner, or one who is gone), or undefined. */
export function ownerProblem({ identity, owner }: Holder): string | undefined {
  if (identity.type === "human") return undefined;
  // A suspended owner is still accountable (suspension is temporary); a revoked or offboarded one is not.
  if (owner !== undefined && owner.type === "human" && owner.status !== "revoked" && owner.status !== "offboarded") return undefined;
  const whom = identity.owner === null ? "it has none" : `owner ${identity.owner} is ${owner === undefined ? "unknown" : owner.type !== "human" ? "not a human" : owner.status}`;
  return `${identity.id} has no accountable owner (${whom}); transfer it with \`arbiter identity update ${identity.id} --owner HUMAN\``;
}

interface Problem {
  reason: AuthFailureReason;
  message: string;
}

/** Why the holder may not act: its status, else its owner. `role` names it in the message. */
function statusProblem({ identity }: Holder, role: string): Problem | undefined {
  if (identity.status === "active") return undefined;
  return { reason: STATUS_REASON[identity.status], message: `${role} ${identity.id} is ${identity.status}` };
}

function noOwner(holder: Holder, role: string): Problem | undefined {
  const problem = ownerProblem(holder);
  return problem === undefined ? undefined : { reason: "NO_OWNER", message: `${role} ${problem}` };
}

/** A token issued before the identity's last rotation is refused once the rotation's grace has passed. */
function rotatedAway(identity: Identity, issuedAt: string, now: Date): boolean {
  if (identity.credentials_not_before === null || issuedAt >= identity.credentials_not_before) return false;
  return identity.credentials_grace_until === null || now.toISOString() >= identity.credentials_grace_until;
}

/**
 * Resolves either form with the same checks. An asserted identity has no credential Arbiter could
 * check, so only its own status and its accountable owner apply: the PEP vouches for how the caller
 * authenticated (docs/identities.md, "Who is asking"). To stop an identity in both forms, change the
 * identity (suspend, revoke), not one credential. `authenticate` checks a presented credential
 * (authenticateCredential unless the caller remembers results, see CredentialCache).
 */
export async function resolveSubject(
  ctx: AuthContext,
  ref: SubjectRef,
  now: Date,
  authenticate: (credential: string, now: Date) => Promise<AuthResult> = (credential, at) => authenticateCredential(ctx, credential, at),
  holderOf: (id: string) => Holder | undefined = (id) => ctx.rows.holder(id),
): Promise<SubjectResult> {
  if ("credential" in ref) {
    const result = await authenticate(ref.credential, now);
    if (!result.ok) return result;
    const { auth } = result;
    return { ok: true, subject: { identity: auth.identity, auth, method: auth.credential.kind, acr: auth.credential.acr, authTime: auth.credential.auth_time } };
  }
  const holder = holderOf(ref.id);
  if (holder === undefined) return fail("UNKNOWN_PRINCIPAL", `no identity ${JSON.stringify(ref.id)} exists`);
  const problem = statusProblem(holder, "identity") ?? noOwner(holder, "identity");
  if (problem !== undefined) return fail(problem.reason, problem.message, holder.identity);
  return { ok: true, subject: { identity: holder.identity, auth: undefined, method: "asserted", acr: ref.acr ?? "", authTime: ref.authenticated_at } };
}

export async function authenticateCredential(ctx: AuthContext, credential: unknown, now: Date): Promise<AuthResult> {
  if (typeof credential !== "string" || credential.length > MAX_CREDENTIAL_CHARS) return invalid();
  if (looksLikeApiKey(credential)) return authenticateApiKey(ctx, credential, now);
  if (looksLikeToken(credential)) return authenticateToken(ctx, credential, now);
  return invalid();
}

/** Precedence: the identity's own state, then the credential's, then its accountable owner. */
function authenticateApiKey(ctx: AuthContext, credential: string, now: Date): AuthResult {
  const parsed = parseApiKey(credential);
  if (parsed === undefined) return invalid();
  const found = ctx.rows.credentialWithHolder(parsed.credentialId);
  const row = found?.credential;
  if (row?.kind !== "api_key" || row.secret_hash === null || !secretMatches(parsed.secret, row.secret_hash)) return invalid();
  const holder = found?.holder;
  if (holder === undefined) return fail("UNKNOWN_PRINCIPAL", `API key ${row.id} belongs to no known identity`, undefined, row.id);
  const { identity } = holder;
  const problem =
    statusProblem(holder, "identity") ??
    (row.status === "revoked" ? { reason: "CREDENTIAL_REVOKED", message: `API key ${row.id} was revoked at ${row.revoked_at ?? "?"}` } : undefined) ??
    (row.status === "rotated" && (row.expires_at === null || now.toISOString() >= row.expires_at)
      ? { reason: "CREDENTIAL_ROTATED", message: `API key ${row.id} was replaced by ${row.replaced_by ?? "a new key"}; use the new key` }
      : undefined) ??
    noOwner(holder, "identity");
  if (problem !== undefined) return fail(problem.reason, problem.message, identity, row.id);
  return {
    ok: true,
    auth: {
      identity,
      credential: { id: row.id, kind: "api_key", issued_at: row.created_at, expires_at: row.expires_at, acr: "api_key", auth_time: now.toISOString() },
      delegation: [],
    },
  };
}

async function authenticateToken(ctx: AuthContext, credential: string, now: Date): Promise<AuthResult> {
  const key = ctx.tokenKey();
  if (key === undefined) return invalid();
  const token = await verifyToken(key, credential, { issuer: ctx.issuer, now, leewaySeconds: ctx.leewaySeconds });
  if (token === undefined) return invalid();
  const [actingId, ...linkIds] = token.chain as [string, ...string[]];
  const found = ctx.rows.credentialWithHolder(token.jti);
  const row = found?.credential;
  // A signed token without its row, or whose row names someone else or another task, was not issued by this directory.
  if (row?.kind !== "token" || row.identity_id !== actingId || (row.task ?? undefined) !== token.task) return invalid();
  const holder = found?.holder;
  if (holder === undefined) return fail("UNKNOWN_PRINCIPAL", `token ${row.id} names ${actingId}, which is not a known identity`, undefined, row.id);
  const { identity } = holder;
  const links: Holder[] = [];
  let problem =
    statusProblem(holder, "identity") ??
    // Completing a task also revokes its tokens; the task is the reason worth telling.
    (found?.taskCompletedAt != null ? { reason: "TASK_COMPLETED", message: `token ${row.id} was issued for task ${row.task ?? "?"}, completed at ${found.taskCompletedAt}` } : undefined) ??
    (row.status === "revoked" ? { reason: "CREDENTIAL_REVOKED", message: `token ${row.id} was revoked at ${row.revoked_at ?? "?"}` } : undefined) ??
    (token.expired ? { reason: "CREDENTIAL_EXPIRED", message: `token ${row.id} expired at ${row.expires_at ?? "?"}` } : undefined) ??
    (rotatedAway(identity, row.created_at, now)
      ? { reason: "CREDENTIAL_ROTATED", message: `token ${row.id} was issued before ${identity.id}'s credentials were rotated; get a new token` }
      : undefined) ??
    noOwner(holder, "identity");
  // Every link of the chain must be able to act now, as if it were calling itself.
  for (const id of linkIds) {
    if (problem !== undefined) break;
    const link = ctx.rows.holder(id);
    if (link === undefined) {
      problem = { reason: "UNKNOWN_PRINCIPAL", message: `${identity.id} acts for ${id}, which is not a known identity` };
      break;
    }
    links.push(link);
    const role = `${identity.id} acts for`;
    problem =
      statusProblem(link, role) ??
      (rotatedAway(link.identity, row.created_at, now)
        ? { reason: "CREDENTIAL_ROTATED", message: `token ${row.id} was issued before the credentials of ${id}, whom ${identity.id} acts for, were rotated` }
        : undefined) ??
      noOwner(link, role);
  }
  if (problem !== undefined) return fail(problem.reason, problem.message, identity, row.id);
  return {
    ok: true,
    auth: {
      identity,
      credential: {
        id: row.id,
        kind: "token",
        issued_at: row.created_at,
        expires_at: row.expires_at,
        acr: token.acr,
        auth_time: new Date(token.authTime * 1000).toISOString(),
        ...(token.task !== undefined ? { task: token.task } : {}),
      },
      delegation: linksOf(links.map((link) => link.identity)),
      ...(token.intent !== undefined ? { intent: token.intent } : {}),
      ...(token.scope !== undefined ? { scope: [...token.scope] } : {}),
    },
  };
}
