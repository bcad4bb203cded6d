// Access tokens: EdDSA-signed JWTs (RFC 9068 `at+jwt`) with RFC 8693 delegation claims.
import { randomBytes } from "node:crypto";
import type * as Jose from "jose";
import type { JWTPayload } from "jose";
import { chainOfClaims, claimsOfChain } from "./delegation.js";
import type { TokenKey } from "./signing-key.js";
import { identityIdSchema, taskIdSchema } from "./schema.js";

export const TOKEN_AUDIENCE = "arbiter";
/** RFC 9068 §2.1: tells an access token apart from any other JWT a key might sign. */
const TOKEN_TYPE = "at+jwt";
const JTI_PATTERN = /^tok_[0-9a-f]{24}$/;
/** A compact JWS is three base64url parts; anything else is not worth handing to jose. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// Imported on first use, not when this module loads: every CLI command reaches it, and loading jose
// costs ≈ 100 ms, which only the commands and servers that sign or verify a token need.
let jose: Promise<typeof Jose> | undefined;
const loadJose = (): Promise<typeof Jose> => (jose ??= import("jose"));

export function newTokenId(): string {
  return `tok_${randomBytes(12).toString("hex")}`;
}

export function looksLikeToken(credential: string): boolean {
  return COMPACT_JWS.test(credential);
}

export interface TokenSpec {
  /** [acting, ..., origin]; see delegation.ts. */
  chain: readonly string[];
  jti: string;
  /** Whole seconds, as the claims carry them. */
  iat: number;
  exp: number;
  acr: string;
  authTime: number;
  intent?: string;
  /** The task the token was issued for (its `task` claim); completing the task ends the token. */
  task?: string;
  scope?: readonly string[];
}

export async function signToken(key: TokenKey, issuer: string, spec: TokenSpec): Promise<string> {
  const { sub, act } = claimsOfChain(spec.chain);
  const claims: JWTPayload = { acr: spec.acr, auth_time: spec.authTime };
  if (act !== undefined) claims.act = act;
  if (spec.intent !== undefined) claims.intent = spec.intent;
  if (spec.task !== undefined) claims.task = spec.task;
  if (spec.scope !== undefined && spec.scope.length > 0) claims.scope = spec.scope.join(" ");
  const { SignJWT } = await loadJose();
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ: TOKEN_TYPE, kid: key.jwk.kid })
    .setIssuer(issuer)
    .setSubject(sub)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(spec.iat)
    .setExpirationTime(spec.exp)
    .setJti(spec.jti)
    .sign(key.privateKey);
}

export interface VerifyOptions {
  issuer: string;
  now: Date;
  leewaySeconds: number;
}

/** A token whose signature holds; `expired` is set when its `exp` (plus leeway) has passed. */
export type VerifiedToken = TokenSpec & { expired: boolean };

/**
 * The claims of a token signed by `key` for this issuer and audience, or undefined for anything
 * malformed, forged or foreign. Never throws on hostile input.
 */
export async function verifyToken(key: TokenKey, token: string, options: VerifyOptions): Promise<VerifiedToken | undefined> {
  let payload: JWTPayload;
  let expired = false;
  const { errors, jwtVerify } = await loadJose();
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      issuer: options.issuer,
      audience: TOKEN_AUDIENCE,
      algorithms: ["EdDSA"],
      typ: TOKEN_TYPE,
      currentDate: options.now,
      clockTolerance: options.leewaySeconds,
      requiredClaims: ["sub", "jti", "iat", "exp"],
    }));
  } catch (err) {
    // jose checks the signature before the claims, so an expired token's payload is authentic.
    if (!(err instanceof errors.JWTExpired)) return undefined;
    payload = err.payload;
    expired = true;
  }
  return specOf(payload, expired);
}

function specOf(payload: JWTPayload, expired: boolean): VerifiedToken | undefined {
  const { sub, jti, iat, exp, act, acr, auth_time: authTime, intent, scope, task } = payload;
  if (typeof sub !== "string" || !identityIdSchema.safeParse(sub).success) return undefined;
  if (typeof jti !== "string" || !JTI_PATTERN.test(jti)) return undefined;
  if (typeof iat !== "number" || typeof exp !== "number" || typeof acr !== "string" || typeof authTime !== "number") return undefined;
  if ((intent !== undefined && typeof intent !== "string") || (scope !== undefined && typeof scope !== "string")) return undefined;
  if (task !== undefined && !taskIdSchema.safeParse(task).success) return undefined;
  const chain = chainOfClaims(sub, act);
  if (chain === undefined) return undefined;
  return {
    chain,
    jti,
    iat,
    exp,
    acr,
    authTime,
    expired,
    ...(intent !== undefined ? { intent } : {}),
    ...(typeof task === "string" ? { task } : {}),
    ...(scope !== undefined ? { scope: scope.split(" ").filter((s) => s !== "") } : {}),
  };
}
