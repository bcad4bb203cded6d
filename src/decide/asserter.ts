// The enforcement point behind a request, as far as its assertions go: who it is and what it may assert.
import { assertionRefusal, type AssertionScope, type Identity } from "../identity/index.js";
import type { DecisionRequest, SubjectRef } from "./request.js";
import type { ResolvedSubject } from "./subject.js";
import { verdict, type Verdict } from "./verdict.js";

/**
 * A PEP that reached the engine over the API: what it says about the caller is checked against its
 * scope. In-process callers (the CLI, `mcp wrap` on the data directory, the server's own gateways)
 * pass none: they hold the data directory and could write anything to it anyway.
 */
export interface Asserter {
  id: string;
  scope: AssertionScope | null;
}

export function asserterOf(identity: Identity): Asserter {
  return { id: identity.id, scope: identity.assertion_scope };
}

/** The verdict refusing a request whose assertions fall outside the PEP's scope, or undefined. */
export function scopeVerdict(asserter: Asserter | undefined, ref: SubjectRef, subject: ResolvedSubject, confirmation: DecisionRequest["confirmation"]): Verdict | undefined {
  if (asserter === undefined) return undefined;
  const asserted = "id" in ref;
  const note = assertionRefusal(asserter.id, asserter.scope, {
    ...(asserted ? { id: ref.id } : {}),
    ...(asserted && subject.identity !== undefined ? { identity: subject.identity } : {}),
    authentication: (asserted && (ref.acr !== undefined || ref.authenticated_at !== undefined)) || confirmation !== undefined,
  });
  return note === undefined ? undefined : verdict({ outcome: "deny", control: "access", reason: "ASSERTION_OUT_OF_SCOPE", note });
}

/**
 * The subject as a scope refusal records it: the id the PEP sent, unresolved, so the record neither
 * says the named identity asked nor tells the PEP whether that identity exists or may act.
 */
export function unresolved(ref: SubjectRef, subject: ResolvedSubject): ResolvedSubject {
  if (!("id" in ref)) {
    const { failure: _ignored, ...checked } = subject;
    return checked;
  }
  return { identity: undefined, auth: undefined, method: "asserted", authAgeSeconds: subject.authAgeSeconds, acr: "", label: ref.id };
}
