// The routes file: which HTTP requests are which actions on which resources, and how callers prove who they are.
import { createHash } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ArbiterError, sensitivitySchema } from "../../record/index.js";
import { compileRoute, type CompiledRoute } from "./route-match.js";

/** The file's name in the data directory. */
export const ROUTES_FILE = "routes.yaml";

const name = z.string().min(1).max(256);
const paramName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, { error: "a name has letters, digits and _, and starts with a letter or _" });
const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, { error: "a header name has letters, digits and -" }).transform((h) => h.toLowerCase());
const host = z.string().regex(/^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$/, { error: "a host name, with an optional port" }).transform((h) => h.toLowerCase());

/** A value taken from the request, or a constant. */
const valueSpec = z.union([
  z.string().max(1024),
  z.number(),
  z.boolean(),
  z.strictObject({ param: paramName }),
  z.strictObject({ query: z.string().min(1).max(128) }),
  z.strictObject({ header: headerName }),
]);

const routeSchema = z.strictObject({
  /** `METHOD /path/:param/*rest`; METHOD may be `*` for any. */
  match: z.string().min(3).max(1024),
  /** Only requests for this Host (any when absent). */
  host: host.optional(),
  action: name,
  resource: z.strictObject({
    type: name,
    /** `{param}` placeholders are replaced by path parameters. */
    id: z.string().min(1).max(1024),
    attributes: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), valueSpec).optional(),
  }),
  sensitivity: sensitivitySchema.optional(),
  /** What becomes the call's `args` (visible to policy as context.args, bound to approvals): path params always. */
  args: z
    .strictObject({
      query: z.array(z.string().min(1).max(128)).max(32).optional(),
      /** Top-level members of a JSON request body; the route then needs the body (reverse proxy, Envoy with_request_body). */
      body: z.array(z.string().min(1).max(128)).max(32).optional(),
    })
    .optional(),
});

/** Requests under a prefix that match no route are decided as one generic action instead of refused with NO_ROUTE. */
const unmatchedSchema = z.strictObject({
  prefix: z.string().regex(/^\/[\x21-\x7e]*$/, { error: "a path prefix starting with /" }),
  host: host.optional(),
  action: name,
  resource_type: name,
  sensitivity: sensitivitySchema.optional(),
});

const jwksSource = {
  /** A JSON Web Key Set served over HTTPS (cached, refetched on an unknown kid). */
  jwks_url: z.url().optional(),
  /** A JWKS file, relative to the data directory (reloaded with the routes file). */
  jwks_file: z.string().min(1).optional(),
};

const identityMap = z.record(z.string().min(1).max(1024), z.string().min(1).max(128));

const jwtIssuerSchema = z
  .strictObject({
    issuer: z.string().min(1).max(1024),
    audience: z.string().min(1).max(1024),
    ...jwksSource,
    algorithms: z.array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"])).min(1).default(["RS256", "ES256", "EdDSA"]),
    /** The claim naming the caller (default `sub`). */
    subject_claim: z.string().min(1).max(64).default("sub"),
    /** Claim value → Arbiter identity id; without an entry the claim value is taken as the identity id. */
    identities: identityMap.optional(),
  })
  .refine((i) => (i.jwks_url === undefined) !== (i.jwks_file === undefined), { error: "give exactly one of jwks_url or jwks_file" });

const spiffeSchema = z
  .strictObject({
    trust_domain: z.string().regex(/^[a-z0-9._-]{1,255}$/, { error: "a SPIFFE trust domain (lowercase letters, digits, . _ -)" }),
    audience: z.string().min(1).max(1024),
    ...jwksSource,
    /** SPIFFE ID → Arbiter identity id; an SVID whose ID is not listed is refused. */
    identities: identityMap,
  })
  .refine((i) => (i.jwks_url === undefined) !== (i.jwks_file === undefined), { error: "give exactly one of jwks_url or jwks_file" });

const callersSchema = z.strictObject({
  /** A header carrying an Arbiter API key, besides `Authorization: Bearer`. */
  api_key_header: headerName.optional(),
  jwt: z.array(jwtIssuerSchema).max(16).default([]),
  spiffe: z.array(spiffeSchema).max(16).default([]),
  /** Client-certificate subjects, believed only from PEPs whose listener verifies client certificates. */
  client_certificates: z
    .strictObject({
      peps: z.array(z.string().min(1).max(128)).min(1),
      header: headerName.default("x-client-cert-subject"),
      identities: identityMap,
    })
    .optional(),
});

/** Where Arbiter's reverse proxy sends an allowed request: the longest prefix (a host's before any host's) wins. */
const upstreamSchema = z.strictObject({
  prefix: z.string().regex(/^\/[\x21-\x7e]*$/, { error: "a path prefix starting with /" }),
  host: host.optional(),
  url: z.url({ protocol: /^https?$/, error: "an http:// or https:// URL" }).refine((u) => { const p = new URL(u); return p.search === "" && p.hash === "" && p.username === "" && p.password === ""; }, { error: "a URL without query, fragment or credentials" }),
});

export const routesFileSchema = z.strictObject({
  routes: z.array(routeSchema).max(10_000).default([]),
  unmatched: z.array(unmatchedSchema).max(1000).default([]),
  callers: callersSchema.default({ jwt: [], spiffe: [] }),
  /** For Arbiter's own reverse proxy only (forward-auth proxies have their own upstreams). */
  upstreams: z.array(upstreamSchema).max(1000).default([]),
});

export type RoutesFile = z.infer<typeof routesFileSchema>;
export type RouteSpec = z.infer<typeof routeSchema>;
export type UnmatchedSpec = z.infer<typeof unmatchedSchema>;
export type CallersSpec = z.infer<typeof callersSchema>;
export type UpstreamSpec = z.infer<typeof upstreamSchema>;
export type ValueSpec = z.infer<typeof valueSpec>;

/** A routes file checked and compiled; `version` is the SHA-256 of its bytes, named in every decision it maps. */
export interface RouteTable {
  version: string;
  routes: CompiledRoute[];
  unmatched: UnmatchedSpec[];
  callers: CallersSpec;
  upstreams: UpstreamSpec[];
}

/** Parses and checks a routes file; every problem names the route it is in. */
export function compileRoutes(text: string, source: string): RouteTable {
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ArbiterError("USAGE", `${source} is not YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = routesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArbiterError("USAGE", `${source}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  const seen = new Map<string, number>();
  const routes = parsed.data.routes.map((spec, i) => {
    const route = compileRoute(spec, i, `${source}: routes.${i}`);
    const previous = seen.get(route.shape);
    if (previous !== undefined) throw new ArbiterError("USAGE", `${source}: routes.${i} (${spec.match}) matches exactly what routes.${previous} matches`);
    seen.set(route.shape, i);
    return route;
  });
  return { version: `sha256:${createHash("sha256").update(text).digest("hex")}`, routes, unmatched: parsed.data.unmatched, callers: parsed.data.callers, upstreams: parsed.data.upstreams };
}
