// Issuing access tokens: directly to an identity, or by RFC 8693 token exchange to an actor for a subject.
import { ArbiterError } from "../record/index.js";
import type { AuthResult, Authenticated } from "./authenticate.js";
import { requireActive, unchanged, type ChangeContext } from "./changes.js";
import { MAX_DELEGATION_DEPTH } from "./delegation.js";
import { newTokenId, signToken } from "./jwt.js";
import { lifecycleRecord } from "./records.js";
import { parseTaskId, requireOpenTask } from "./tasks.js";
import type { Actor, CredentialInfo, Identity } from "./schema.js";
import type { TokenKey } from "./signing-key.js";

export interface TokenSettings {
  /** Lifetime of a token when none is asked for. */
  defaultTtlSeconds: number;
  /** Longest lifetime a token may be given. */
  maxTtlSeconds: number;
  /** Clock skew tolerated when checking `exp` (and `iat`), between this process and whoever issued. */
  leewaySeconds: number;
}

export const DEFAULT_TOKEN_SETTINGS: TokenSettings = { defaultTtlSeconds: 15 * 60, maxTtlSeconds: 60 * 60, leewaySeconds: 30 };

export interface IssueTokenOptions {
  ttlSeconds?: number;
  /** Whom the identity acts for, nearest first: for agent B acting for agent A for user U, ["A", "U"]. */
  actFor?: readonly string[];
  /** What the token is for, in words, given to policies as context. */
  intent?: string;
  /** The task id the token is for: completing the task revokes it (and every other token issued for it). */
  task?: string;
  /** How the holder authenticated (OIDC `acr`); default `arbiter:issued`. */
  acr?: string;
  /** When the holder authenticated; default now. */
  authTime?: Date;
  scope?: readonly string[];
  /** Why; kept in the lifecycle record's note. */
  reason?: string;
}

export interface IssuedToken {
  token: string;
  credential: CredentialInfo;
}

export interface TokenExchangeRequest {
  /** The token of the party to act for (RFC 8693 `subject_token`). */
  subjectToken: string;
  /** The acting party's own API key or token (RFC 8693 `actor_token`). */
  actorCredential: string;
  ttlSeconds?: number;
  intent?: string;
  /** Must be the subject token's task when given: an exchanged token stays in its subject's task. */
  task?: string;
  scope?: readonly string[];
}

export interface TokenContext extends ChangeContext {
  issuer: string;
  settings: TokenSettings;
  signingKey: () => TokenKey;
  authenticate: (credential: string, now: Date) => Promise<AuthResult>;
}

interface Mint {
  chain: readonly string[];
  actor: Actor;
  ttlSeconds: number | undefined;
  /** The token may not outlive this (the subject token it was exchanged for). */
  notAfter?: Date;
  acr: string;
  authTime: Date;
  intent?: string;
  task?: string;
  scope?: readonly string[];
  note?: string;
}

function ttlOf(settings: TokenSettings, ttl: number | undefined): number {
  const seconds = ttl ?? settings.defaultTtlSeconds;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > settings.maxTtlSeconds) {
    throw new ArbiterError("REQUEST_INVALID", `a token lives from 1 to ${settings.maxTtlSeconds} seconds, not ${String(ttl)}`, { ttl });
  }
  return seconds;
}

function checkChain(chain: readonly string[]): void {
  if (chain.length - 1 > MAX_DELEGATION_DEPTH) {
    throw new ArbiterError("REQUEST_INVALID", `a delegation chain has at most ${MAX_DELEGATION_DEPTH} links beyond the acting identity, this one has ${chain.length - 1}`);
  }
  const seen = new Set<string>();
  for (const id of chain) {
    if (seen.has(id)) throw new ArbiterError("REQUEST_INVALID", `${id} appears twice in the delegation chain ${chain.join(" → ")}`, { chain });
    seen.add(id);
  }
}

/** Signs the token, then stores its id (so it can be revoked) with its `credential_issued` record. */
async function mint(ctx: TokenContext, m: Mint): Promise<IssuedToken> {
  const { rows } = ctx;
  const [acting] = m.chain as [string, ...string[]];
  const identities = m.chain.map((id) => requireActive(rows, id));
  if (m.task !== undefined) requireOpenTask(ctx, m.task);
  // Read with the checks, before the signature's await: the commit refuses a change to any of them since.
  const expected = unchanged(rows, ...new Set(identities.flatMap((identity) => [identity.id, identity.owner])));
  const now = ctx.now();
  const iat = Math.floor(now.getTime() / 1000);
  let exp = iat + ttlOf(ctx.settings, m.ttlSeconds);
  if (m.notAfter !== undefined) exp = Math.min(exp, Math.floor(m.notAfter.getTime() / 1000));
  if (exp <= iat) throw new ArbiterError("UNAUTHENTICATED", "subject_token expires within a second; get a fresh one", { credential: "subject_token" });
  const jti = newTokenId();
  const token = await signToken(ctx.signingKey(), ctx.issuer, {
    chain: m.chain,
    jti,
    iat,
    exp,
    acr: m.acr,
    authTime: Math.floor(m.authTime.getTime() / 1000),
    ...(m.intent !== undefined ? { intent: m.intent } : {}),
    ...(m.task !== undefined ? { task: m.task } : {}),
    ...(m.scope !== undefined ? { scope: m.scope } : {}),
  });
  const at = now.toISOString();
  const expiresAt = new Date(exp * 1000).toISOString();
  const credential: CredentialInfo = {
    id: jti,
    identity_id: acting,
    kind: "token",
    status: "active",
    created_at: at,
    expires_at: expiresAt,
    rotated_at: null,
    revoked_at: null,
    replaced_by: null,
    task: m.task ?? null,
  };
  const record = lifecycleRecord("credential_issued", identities[0] as Identity, m.actor, {
    credential,
    ...(m.note !== undefined ? { note: m.note } : {}),
    // Who the token acts for is evidence; its intent is free text from the caller and stays out of the leaf.
    ...(m.chain.length > 1 ? { attributes: { act_for: m.chain.slice(1) } } : {}),
  });
  await ctx.ledger.append(record, {
    effects: [
      ...expected,
      ...(m.task !== undefined ? [{ type: "task.open", id: m.task, owner: acting, at } as const] : []),
      { type: "credential.insert", credential: { id: jti, identityId: acting, kind: "token", secretHash: null, createdAt: at, expiresAt, ...(m.task !== undefined ? { task: m.task } : {}) } },
    ],
  });
  return { token, credential };
}

export async function issueToken(ctx: TokenContext, id: string, options: IssueTokenOptions, actor: Actor): Promise<IssuedToken> {
  const chain = [id, ...(options.actFor ?? [])];
  checkChain(chain);
  return mint(ctx, {
    chain,
    actor,
    ttlSeconds: options.ttlSeconds,
    acr: options.acr ?? "arbiter:issued",
    authTime: options.authTime ?? ctx.now(),
    ...(options.intent !== undefined ? { intent: options.intent } : {}),
    ...(options.task !== undefined ? { task: parseTaskId(options.task) } : {}),
    ...(options.scope !== undefined ? { scope: options.scope } : {}),
    ...(options.reason !== undefined ? { note: options.reason } : {}),
  });
}

function refused(which: "subject_token" | "actor_token", result: Extract<AuthResult, { ok: false }>): ArbiterError {
  return new ArbiterError("UNAUTHENTICATED", `${which}: ${result.message} [${result.reason}]`, { credential: which, reason: result.reason });
}

/**
 * RFC 8693 token exchange: the actor, authenticated by its own credential, gets a token to act for
 * the subject. The new chain is the actor followed by the subject's chain; acr and auth_time are
 * the actor's (it is the one calling), intent and scope are the subject's unless narrowed here.
 */
export async function exchangeToken(ctx: TokenContext, request: TokenExchangeRequest): Promise<IssuedToken> {
  const now = ctx.now();
  const subject = await ctx.authenticate(request.subjectToken, now);
  if (!subject.ok) throw refused("subject_token", subject);
  if (subject.auth.credential.kind !== "token") {
    throw new ArbiterError("REQUEST_INVALID", "subject_token must be an Arbiter access token, not an API key", { credential: "subject_token" });
  }
  const actor = await ctx.authenticate(request.actorCredential, now);
  if (!actor.ok) throw refused("actor_token", actor);
  if (actor.auth.delegation.length > 0) {
    throw new ArbiterError("REQUEST_INVALID", "actor_token must be the actor's own credential, not a token to act for someone else", { credential: "actor_token" });
  }
  const chain = [actor.auth.identity.id, subject.auth.identity.id, ...subject.auth.delegation.map((link) => link.id)];
  checkChain(chain);
  const scope = narrowScope(subject.auth, request.scope);
  const intent = request.intent ?? subject.auth.intent;
  const task = subject.auth.credential.task;
  if (request.task !== undefined && request.task !== task) {
    throw new ArbiterError("REQUEST_INVALID", `an exchanged token stays in the subject token's task (${task ?? "none"}), not ${JSON.stringify(request.task)}`, { task: request.task });
  }
  return mint(ctx, {
    chain,
    actor: { id: actor.auth.identity.id, type: actor.auth.identity.type },
    ttlSeconds: request.ttlSeconds,
    notAfter: new Date(subject.auth.credential.expires_at as string),
    acr: actor.auth.credential.acr,
    authTime: new Date(actor.auth.credential.auth_time),
    ...(intent !== undefined ? { intent } : {}),
    ...(task !== undefined ? { task } : {}),
    ...(scope !== undefined ? { scope } : {}),
    note: `token exchange: ${chain.join(" acting for ")}`,
  });
}

/** A requested scope may only narrow the subject token's scope, never widen it. */
function narrowScope(subject: Authenticated, requested: readonly string[] | undefined): readonly string[] | undefined {
  if (requested === undefined) return subject.scope;
  const allowed = subject.scope;
  const extra = allowed === undefined ? [] : requested.filter((s) => !allowed.includes(s));
  if (extra.length > 0) throw new ArbiterError("REQUEST_INVALID", `scope ${extra.join(" ")} is not in the subject token's scope`, { extra });
  return requested;
}
