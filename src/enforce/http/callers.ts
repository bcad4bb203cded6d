// Who is calling: an Arbiter API key or token, an API-key header, a JWT from a configured issuer, a SPIFFE
// JWT-SVID, or a client-certificate subject from a PEP whose listener verified it.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { SubjectRef } from "../../decide/index.js";
import { bearerCredential } from "../../identity/index.js";
import type { JsonObject } from "../../record/index.js";
import type { HeaderView } from "./headers.js";
import type { CallersSpec, RouteTable } from "./routes-file.js";

export type CallerRefusal = "CREDENTIAL_MISSING" | "CREDENTIAL_INVALID" | "CREDENTIAL_EXPIRED" | "UNKNOWN_PRINCIPAL" | "REQUEST_REJECTED";

export type Caller =
  | { ok: true; subject: SubjectRef; via: JsonObject }
  | { ok: false; reason: CallerRefusal; note: string; via?: JsonObject };

/** Longest credential looked at (as the identity directory's own bound). */
const MAX_CREDENTIAL_CHARS = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** SPIFFE ID (spiffe.io standard §2): scheme, a lowercase trust domain, a path. */
const SPIFFE_ID = /^spiffe:\/\/([a-z0-9._-]+)(\/[A-Za-z0-9._\-/]*)?$/;
/** JWT-SVID §3: the algorithms a SPIFFE JWT may be signed with. */
const SVID_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"];

const refused = (reason: CallerRefusal, note: string, via?: JsonObject): Caller => ({ ok: false, reason, note, ...(via ? { via } : {}) });

interface KeySource {
  jwks_url?: string | undefined;
  jwks_file?: string | undefined;
}

export class CallerResolver {
  /** Key sets per routes table: a reload builds new ones, so a rotated JWKS file is read again. */
  private readonly keys = new WeakMap<RouteTable, Map<string, JWTVerifyGetKey | Error>>();

  constructor(
    private readonly dataDir: string,
    /** Tokens of this issuer are Arbiter's own, authenticated by the engine. */
    private readonly arbiterIssuer: string,
  ) {}

  async resolve(table: RouteTable, headers: HeaderView, pepId: string, now: Date): Promise<Caller> {
    const callers = table.callers;
    const authorization = headers.all("authorization");
    const keyHeader = callers.api_key_header ? headers.all(callers.api_key_header) : [];
    if (authorization.length > 1) return refused("REQUEST_REJECTED", "the request has more than one Authorization header");
    if (keyHeader.length > 1) return refused("REQUEST_REJECTED", `the request has more than one ${callers.api_key_header ?? ""} header`);
    if (authorization.length === 1 && keyHeader.length === 1) return refused("REQUEST_REJECTED", `the request carries two credentials (Authorization and ${callers.api_key_header ?? ""}); send one`);
    const [auth] = authorization;
    if (auth !== undefined) {
      const bearer = bearerCredential(auth);
      if (bearer === undefined) return refused("CREDENTIAL_INVALID", "the Authorization header is not `Bearer <credential>`");
      return this.bearer(table, bearer, now);
    }
    const [key] = keyHeader;
    if (key !== undefined) {
      if (key.length === 0 || key.length > MAX_CREDENTIAL_CHARS) return refused("CREDENTIAL_INVALID", `the ${callers.api_key_header ?? ""} header holds no usable credential`);
      return { ok: true, subject: { credential: key }, via: { kind: "api_key_header" } };
    }
    const certs = callers.client_certificates;
    if (certs && certs.peps.includes(pepId)) {
      const subjects = headers.all(certs.header);
      if (subjects.length > 1) return refused("REQUEST_REJECTED", `the request has more than one ${certs.header} header`);
      const [dn] = subjects;
      if (dn !== undefined && dn !== "") return clientCertificate(certs, dn, now);
    }
    return refused("CREDENTIAL_MISSING", "send the caller's credential as `Authorization: Bearer <API key, token or JWT>`");
  }

  private async bearer(table: RouteTable, credential: string, now: Date): Promise<Caller> {
    if (credential.length > MAX_CREDENTIAL_CHARS) return refused("CREDENTIAL_INVALID", `the credential is longer than ${MAX_CREDENTIAL_CHARS} characters`);
    if (!COMPACT_JWS.test(credential)) return { ok: true, subject: { credential }, via: { kind: "arbiter" } };
    let header: { alg?: unknown };
    let claims: JWTPayload;
    try {
      header = decodeProtectedHeader(credential);
      claims = decodeJwt(credential);
    } catch {
      return refused("CREDENTIAL_INVALID", "the bearer credential looks like a JWT but does not decode as one");
    }
    // RFC 8725 §3.1 / §2.1: an unsecured JWT is never a credential.
    if (typeof header.alg !== "string" || header.alg.toLowerCase() === "none") return refused("CREDENTIAL_INVALID", "the JWT is unsigned (alg none)");
    if (claims.iss === this.arbiterIssuer) return { ok: true, subject: { credential }, via: { kind: "arbiter" } };
    const spiffe = typeof claims.sub === "string" ? SPIFFE_ID.exec(claims.sub) : null;
    if (spiffe) {
      const domain = table.callers.spiffe.find((s) => s.trust_domain === spiffe[1]);
      if (!domain) return refused("CREDENTIAL_INVALID", `no SPIFFE trust domain ${spiffe[1] ?? ""} is configured`);
      const verified = await this.verify(table, domain, credential, { audience: domain.audience, algorithms: SVID_ALGORITHMS, requiredClaims: ["exp", "sub", "aud"], currentDate: now });
      const via = { kind: "spiffe", trust_domain: domain.trust_domain, subject: claims.sub ?? "" };
      if (!verified.ok) return { ...verified, via };
      const id = domain.identities[verified.claims.sub ?? ""];
      if (id === undefined) return refused("UNKNOWN_PRINCIPAL", `the SPIFFE ID ${verified.claims.sub ?? ""} maps to no identity (callers.spiffe.identities)`, via);
      return { ok: true, subject: asserted(id, verified.claims, "spiffe_jwt_svid"), via };
    }
    const issuer = table.callers.jwt.find((i) => i.issuer === claims.iss);
    if (!issuer) return refused("CREDENTIAL_INVALID", `the JWT's issuer ${JSON.stringify(claims.iss ?? null)} is not configured (callers.jwt)`);
    const verified = await this.verify(table, issuer, credential, { issuer: issuer.issuer, audience: issuer.audience, algorithms: issuer.algorithms, requiredClaims: ["exp"], currentDate: now });
    const via = { kind: "jwt", issuer: issuer.issuer };
    if (!verified.ok) return { ...verified, via };
    const value = verified.claims[issuer.subject_claim];
    if (typeof value !== "string" || value === "") return refused("CREDENTIAL_INVALID", `the JWT has no ${issuer.subject_claim} claim naming the caller`, via);
    const id = issuer.identities ? issuer.identities[value] : value;
    if (id === undefined) return refused("UNKNOWN_PRINCIPAL", `${issuer.subject_claim} ${JSON.stringify(value)} of issuer ${issuer.issuer} maps to no identity (callers.jwt.identities)`, via);
    return { ok: true, subject: asserted(id, verified.claims, typeof verified.claims.acr === "string" ? verified.claims.acr : "jwt"), via: { ...via, subject: value } };
  }

  private async verify(
    table: RouteTable,
    source: KeySource,
    token: string,
    options: Parameters<typeof jwtVerify>[2],
  ): Promise<{ ok: true; claims: JWTPayload } | { ok: false; reason: CallerRefusal; note: string }> {
    const keys = this.keySet(table, source);
    if (keys instanceof Error) return { ok: false, reason: "CREDENTIAL_INVALID", note: `the signing keys cannot be loaded: ${keys.message}` };
    try {
      return { ok: true, claims: (await jwtVerify(token, keys, { ...options, clockTolerance: 30 })).payload };
    } catch (err) {
      if (err instanceof errors.JWTExpired) return { ok: false, reason: "CREDENTIAL_EXPIRED", note: "the JWT has expired" };
      if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: "CREDENTIAL_INVALID", note: `the JWT's ${err.claim} claim is not acceptable (${err.reason})` };
      if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: "CREDENTIAL_INVALID", note: "the JWT is signed with an algorithm this issuer is not configured for" };
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: "CREDENTIAL_INVALID", note: "the JWT's signature does not verify with the issuer's keys" };
      if (err instanceof errors.JWKSTimeout || err instanceof errors.JOSEError) return { ok: false, reason: "CREDENTIAL_INVALID", note: `the JWT could not be verified (${err.code})` };
      return { ok: false, reason: "CREDENTIAL_INVALID", note: "the JWT could not be verified" };
    }
  }

  private keySet(table: RouteTable, source: KeySource): JWTVerifyGetKey | Error {
    let sets = this.keys.get(table);
    if (!sets) this.keys.set(table, (sets = new Map<string, JWTVerifyGetKey | Error>()));
    const id = source.jwks_url ?? `file:${source.jwks_file ?? ""}`;
    let set = sets.get(id);
    if (set === undefined) {
      set = loadKeySet(this.dataDir, source);
      sets.set(id, set);
    }
    return set;
  }
}

function loadKeySet(dataDir: string, source: KeySource): JWTVerifyGetKey | Error {
  if (source.jwks_url !== undefined) return createRemoteJWKSet(new URL(source.jwks_url), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  const file = source.jwks_file ?? "";
  const path = isAbsolute(file) ? file : join(dataDir, file);
  try {
    return createLocalJWKSet(JSON.parse(readFileSync(path, "utf8")) as JSONWebKeySet);
  } catch (err) {
    return new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** An identity the PEP authenticated itself: when (for step-up freshness) and how (policy's context.auth.acr). */
function asserted(id: string, claims: JWTPayload, acr: string): SubjectRef {
  const at = typeof claims.auth_time === "number" ? claims.auth_time : claims.iat;
  return { id, acr, ...(typeof at === "number" && Number.isFinite(at) ? { authenticated_at: new Date(at * 1000).toISOString() } : {}) };
}

function clientCertificate(certs: NonNullable<CallersSpec["client_certificates"]>, dn: string, now: Date): Caller {
  const via = { kind: "client_certificate", subject: dn.slice(0, 1024) };
  const id = certs.identities[dn];
  if (id === undefined) return refused("UNKNOWN_PRINCIPAL", `the client certificate subject ${JSON.stringify(dn.slice(0, 256))} maps to no identity (callers.client_certificates.identities)`, via);
  return { ok: true, subject: { id, acr: "mtls", authenticated_at: now.toISOString() }, via };
}
