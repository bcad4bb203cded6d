// What a caller may see in a listing: the tools, resources and prompts some call of which policy could allow.
import { z } from "zod";
import type { IdentityDirectory } from "../identity/index.js";
import { buildCedarRequest, mayAllow, PRINCIPAL_ENTITY_TYPES, type PolicySet } from "../policy/index.js";
import type { DecisionReasonCode } from "../record/index.js";
import type { BreakGlassRepository } from "../store/index.js";
import type { DecisionEngine } from "./engine.js";
import { subjectRefSchema, type SubjectRef } from "./request.js";
import { principalOf, resolveSubject } from "./subject.js";

export const MAX_CANDIDATES = 1000;

export const candidateSchema = z.strictObject({
  action: z.string().min(1).max(256),
  resource: z.strictObject({
    type: z.string().min(1).max(256),
    /** Absent: the resource is not known yet (a URI template), so any resource of the type counts. */
    id: z.string().min(1).max(1024).optional(),
    attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const visibilityRequestSchema = z.strictObject({
  subject: subjectRefSchema,
  candidates: z.array(candidateSchema).max(MAX_CANDIDATES),
});

export type Candidate = z.infer<typeof candidateSchema>;

export interface Visibility {
  policy_version: string;
  /** The caller as authenticated now; a refused credential sees nothing. */
  caller: { ok: true; id: string } | { ok: false; reason: DecisionReasonCode; message: string };
  /** One answer per candidate, in order. */
  visible: boolean[];
}

interface VisibilityDeps {
  engine: DecisionEngine;
  identities: IdentityDirectory;
  breakGlass: BreakGlassRepository;
  now: () => Date;
}

/**
 * Everything a call may vary is unknown to the listing: its arguments, the time it is made, the
 * intent it declares and how fresh its authentication is. So a listing depends only on who asks and
 * what the tool is, and never hides a tool that some call could be allowed.
 */
const UNKNOWN_CONTEXT = ["now", "intent", "auth", "args", "paths", "args_digest"];

/** Challenges are not refusals: a tool behind an approval or a step-up is usable, so it is listed. */
const CHALLENGES: readonly DecisionReasonCode[] = ["APPROVAL_REQUIRED", "STEP_UP_REQUIRED"];

function applies(set: PolicySet, principalType: string, candidate: Candidate): boolean {
  const action = set.action(candidate.action);
  return action !== undefined && action.principalTypes.includes(principalType) && action.resourceTypes.includes(candidate.resource.type);
}

/**
 * For each candidate, whether the subject could be allowed some call of it: a sound
 * over-approximation (Cedar partial evaluation with the call's variable context unknown), so
 * anything callable with some arguments is visible. Under an open break-glass session every
 * declared action that applies is visible, since the session overrides policy denials.
 */
export async function visibleTo(deps: VisibilityDeps, subject: SubjectRef, candidates: readonly Candidate[]): Promise<Visibility> {
  const now = deps.now();
  const { set } = deps.engine.policy();
  const resolved = await resolveSubject(deps.identities, subject, now);
  const identity = resolved.identity;
  if (resolved.failure || !identity) {
    const caller = { ok: false as const, reason: resolved.failure?.reason ?? "CREDENTIAL_INVALID", message: resolved.failure?.note ?? "the credential was refused" };
    return { policy_version: set.version, caller, visible: candidates.map(() => false) };
  }
  const principalType = PRINCIPAL_ENTITY_TYPES[identity.type];
  const glass = deps.breakGlass.activeFor(identity.id, now) !== undefined;
  const visible = candidates.map((candidate) => {
    if (!applies(set, principalType, candidate)) return false;
    if (glass) return true;
    try {
      const request = buildCedarRequest({
        principal: principalOf(identity),
        action: candidate.action,
        resource: { type: candidate.resource.type, id: candidate.resource.id ?? "", ...(candidate.resource.attributes ? { attributes: candidate.resource.attributes } : {}) },
        now,
        auth: { method: resolved.method, age_seconds: 0, acr: "" },
        delegation: resolved.auth?.delegation ?? [],
        args_digest: "",
      });
      return mayAllow(set, request, { unknownContext: UNKNOWN_CONTEXT, unknownResource: candidate.resource.id === undefined, excludeReasons: CHALLENGES });
    } catch {
      // A candidate the engine could not even evaluate (malformed attributes) could not be called either.
      return false;
    }
  });
  return { policy_version: set.version, caller: { ok: true, id: identity.id }, visible };
}
