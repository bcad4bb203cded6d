// Whether an enforcement point may assert what it sent: the caller it names by id, and how freshly that caller authenticated.
import type { AssertionScope, Identity } from "./schema.js";

/** What a request asserts on the caller's behalf, beyond any credential Arbiter checks itself. */
export interface Assertion {
  /** The id the PEP names the caller by; undefined when it forwarded the caller's credential. */
  id?: string;
  /** The asserted identity when the store holds it (its type and groups can put it in scope). */
  identity?: Identity;
  /** The PEP vouches for authentication: `acr`, `authenticated_at`, or a user confirmation. */
  authentication: boolean;
}

/**
 * Why `scope` does not cover `assertion`, or undefined when it does. An id the store does not hold
 * is in scope only by its id, so that a PEP cannot tell known ids from unknown ones outside its scope.
 */
export function assertionRefusal(pepId: string, scope: AssertionScope | null, assertion: Assertion): string | undefined {
  const fix = `; an admin widens it with \`arbiter identity update ${pepId} --assert-type|--assert-group|--assert-id …\``;
  if (assertion.id !== undefined) {
    if (scope === null) return `${pepId} has no assertion scope, so it may name no caller by subject.id (forward the caller's credential instead)${fix}`;
    const { identity } = assertion;
    const covered =
      scope.ids.includes(assertion.id) ||
      (identity !== undefined && (scope.types.includes(identity.type) || identity.groups.some((g) => scope.groups.includes(g))));
    if (!covered) return `${assertion.id} is outside the assertion scope of ${pepId}${fix}`;
  }
  if (assertion.authentication && scope?.authentication !== true) {
    return `${pepId} may not assert how the caller authenticated (acr, authenticated_at or a user confirmation)${fix.replace("--assert-type|--assert-group|--assert-id …", "--assert-authentication")}`;
  }
  return undefined;
}
