// Source principals (a Kubernetes service account, an AWS role, a cloud service account) as the Arbiter identities they stand for.
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ArbiterError } from "../record/index.js";

/** An Arbiter identity id (the alphabet of identityIdSchema in src/identity/schema.ts). */
const IDENTITY_ID = /^[A-Za-z0-9._@:-]{1,128}$/;
const MAX_ENTRIES = 10_000;

export const principalMapSchema = z.strictObject({
  /** Whether the built-in rules (DEFAULT_RULES) apply after the entries; they do when absent. */
  defaults: z.boolean().optional(),
  /** Source principal → Arbiter identity id; `*` in a principal matches any run of characters. */
  principals: z
    .record(z.string().min(1).max(2048), z.string().regex(IDENTITY_ID, { error: "an Arbiter identity id: 1 to 128 letters, digits or . _ @ : -" }))
    .refine((entries) => Object.keys(entries).length <= MAX_ENTRIES, { error: `at most ${MAX_ENTRIES} entries` })
    .optional(),
});
export type PrincipalMap = z.infer<typeof principalMapSchema>;

/** How a source principal was found to stand for an identity: the map file, its own name, or a built-in rule. */
export type PrincipalRule = "map" | "same" | "k8s_service_account" | "aws_assumed_role" | "aws_role" | "aws_user" | "gcp_service_account" | "spiffe";

export interface PrincipalMatch {
  identity: string;
  /** The source's name that matched. */
  principal: string;
  rule: PrincipalRule;
}

/**
 * Built-in rules, each naming the identity by the part of the principal a team names its workloads
 * by. Tried only when neither the map nor the principal itself names an identity, and taken only
 * when Arbiter knows the name they give. Partitions `aws`, `aws-cn`, `aws-us-gov`; role and user
 * paths (`role/team/deployer`) are dropped.
 */
export const DEFAULT_RULES: readonly { rule: PrincipalRule; pattern: RegExp }[] = [
  { rule: "k8s_service_account", pattern: /^system:serviceaccount:[^:]+:([^:]+)$/ },
  { rule: "aws_assumed_role", pattern: /^arn:aws[a-z-]*:sts::\d{12}:assumed-role\/([^/]+)\/.+$/ },
  { rule: "aws_role", pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[^/]+\/)*([^/]+)$/ },
  { rule: "aws_user", pattern: /^arn:aws[a-z-]*:iam::\d{12}:user\/(?:[^/]+\/)*([^/]+)$/ },
  { rule: "gcp_service_account", pattern: /^([a-z][a-z0-9-]{4,28}[a-z0-9])@[a-z0-9-]+\.iam\.gserviceaccount\.com$/ },
  { rule: "spiffe", pattern: /^spiffe:\/\/[^/]+\/(?:[^/]+\/)*([^/]+)$/ },
];

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
}

export function parsePrincipalMap(text: string, name: string): PrincipalMap {
  let raw: unknown;
  try {
    // YAML 1.2 reads JSON too.
    raw = parseYaml(text);
  } catch (err) {
    throw new ArbiterError("USAGE", `${name} is not YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return checkPrincipalMap(raw ?? {}, name, "USAGE");
}

export function checkPrincipalMap(raw: unknown, name: string, code: "USAGE" | "REQUEST_INVALID"): PrincipalMap {
  const parsed = principalMapSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArbiterError(code, `${name}: ${issue?.path.join(".") || "principal map"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/** Resolves source principals against the identities one run knows; answers are kept per principal. */
export class PrincipalResolver {
  private readonly exact = new Map<string, string>();
  private readonly globs: { pattern: RegExp; identity: string }[] = [];
  private readonly defaults: boolean;
  private readonly seen = new Map<string, PrincipalMatch | null>();

  constructor(map: PrincipalMap | undefined, private readonly known: (id: string) => boolean) {
    this.defaults = map?.defaults ?? true;
    for (const [principal, identity] of Object.entries(map?.principals ?? {})) {
      if (principal.includes("*")) this.globs.push({ pattern: globToRegExp(principal), identity });
      else this.exact.set(principal, identity);
    }
  }

  /**
   * The identity `names` (the event's subject, then the fuller principal its source logged) stand
   * for: an entry of the map (exact before patterns, in file order), else a name Arbiter knows as
   * is, else a built-in rule whose result Arbiter knows. A map entry is taken even when Arbiter does
   * not know its identity: the operator said who it is.
   */
  resolve(names: readonly string[]): PrincipalMatch | undefined {
    const key = names.join("\u0000");
    const cached = this.seen.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.find(names);
    this.seen.set(key, found ?? null);
    return found;
  }

  private find(names: readonly string[]): PrincipalMatch | undefined {
    for (const principal of names) {
      const identity = this.exact.get(principal) ?? this.globs.find((g) => g.pattern.test(principal))?.identity;
      if (identity !== undefined) return { identity, principal, rule: "map" };
    }
    for (const principal of names) if (this.known(principal)) return { identity: principal, principal, rule: "same" };
    if (!this.defaults) return undefined;
    for (const principal of names) {
      for (const { rule, pattern } of DEFAULT_RULES) {
        const identity = pattern.exec(principal)?.[1];
        if (identity !== undefined && this.known(identity)) return { identity, principal, rule };
      }
    }
    return undefined;
  }
}
