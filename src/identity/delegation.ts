// Delegation chains and their RFC 8693 §4.1 `act` claims, one mapping in both directions.
//
// A chain lists the acting identity first and the origin last: agent B acting for agent A acting
// for user U is [B, A, U]. RFC 8693 puts the party on whose behalf the token acts in `sub` and the
// current actor in the outermost `act`, with prior actors nested inside it, so the token says
// { sub: U, act: { sub: B, act: { sub: A } } }. An undelegated token is just { sub: B }.
import type { ManagedType } from "./schema.js";

/** Delegation links a chain may have beyond its acting identity. */
export const MAX_DELEGATION_DEPTH = 5;

export interface ActClaim {
  sub: string;
  act?: ActClaim;
}

/** One link of `Authenticated.delegation`, in the shape decision records take (nearest first). */
export interface DelegationLink {
  id: string;
  type: ManagedType;
  /** Whom this identity in turn acts for: the next link's id; absent on the origin. */
  on_behalf_of?: string;
}

/** The `sub` and `act` claims of a chain [acting, ..., origin]. Requires chain.length >= 1. */
export function claimsOfChain(chain: readonly string[]): { sub: string; act?: ActClaim } {
  const origin = chain[chain.length - 1] as string;
  let act: ActClaim | undefined;
  // The innermost act is the earliest actor, the one right after the origin in the chain.
  for (let i = chain.length - 2; i >= 0; i--) act = act === undefined ? { sub: chain[i] as string } : { sub: chain[i] as string, act };
  return act === undefined ? { sub: origin } : { sub: origin, act };
}

/**
 * The chain [acting, ..., origin] a token's `sub` and `act` claims describe, or undefined when
 * `act` is malformed, nests deeper than MAX_DELEGATION_DEPTH, or names an identity twice.
 */
export function chainOfClaims(sub: string, act: unknown): string[] | undefined {
  const actors: string[] = [];
  let node: unknown = act;
  while (node !== undefined) {
    if (typeof node !== "object" || node === null || actors.length >= MAX_DELEGATION_DEPTH) return undefined;
    const { sub: actor, act: prior } = node as { sub?: unknown; act?: unknown };
    if (typeof actor !== "string") return undefined;
    actors.push(actor);
    node = prior;
  }
  const chain = [...actors, sub];
  return new Set(chain).size === chain.length ? chain : undefined;
}

/** Delegation links from the identities after the acting one, each naming the next as whom it acts for. */
export function linksOf(after: readonly { id: string; type: ManagedType }[]): DelegationLink[] {
  return after.map(({ id, type }, i) => {
    const next = after[i + 1];
    return next === undefined ? { id, type } : { id, type, on_behalf_of: next.id };
  });
}
