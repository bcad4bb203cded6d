// What every identity change shares: its context, and preconditions that are reads throwing a typed refusal.
// Each precondition runs before the append (a fast, clear refusal), and the append carries effects that expect
// the rows it read unchanged inside the ledger's write transaction, where another process's change in between
// would otherwise slip through.
import type { z } from "zod";
import type { Ledger } from "../ledger/index.js";
import { ArbiterError } from "../record/index.js";
import { ownerProblem } from "./authenticate.js";
import type { IdentityRepository as IdentityRows, StoreEffect } from "../store/index.js";
import type { Identity, ManagedType } from "./schema.js";

export interface ChangeContext {
  rows: IdentityRows;
  /** Every change is appended with its state change as the append's effects, so both commit or neither does. */
  ledger: Ledger;
  now: () => Date;
}

/** The input parsed by `schema`, or ArbiterError REQUEST_INVALID naming the first problem. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  throw new ArbiterError("REQUEST_INVALID", `${what}: ${where}${issue?.message ?? "invalid"}`, {
    issues: result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

function unknownIdentity(id: string): ArbiterError {
  return new ArbiterError("IDENTITY_NOT_FOUND", `no identity ${JSON.stringify(id)} exists; see \`arbiter identity list\``, { id });
}

/**
 * The in-transaction half of a precondition: the identities it read (an identity, its owner) are still
 * as they are now, else the change is refused with CONFLICT. Call it right after the check, before
 * any await, so that what it expects is what the check saw.
 */
export function unchanged(rows: IdentityRows, ...ids: readonly (string | null)[]): StoreEffect[] {
  return ids.flatMap((id): StoreEffect[] => {
    const found = id === null ? undefined : rows.identity(id);
    return found === undefined ? [] : [{ type: "identity.expect", id: found.id, status: found.status, updatedAt: found.updated_at }];
  });
}

export function requireIdentity(rows: IdentityRows, id: string): Identity {
  const identity = rows.identity(id);
  if (identity === undefined) throw unknownIdentity(id);
  return identity;
}

/** Refuses an owner that cannot be accountable for an identity of `type` (OWNER_REQUIRED says what to do). */
export function requireOwner(rows: IdentityRows, type: ManagedType, owner: string | null | undefined): void {
  if (type === "human") {
    if (owner !== undefined && owner !== null) {
      throw new ArbiterError("REQUEST_INVALID", "a human identity is accountable for itself and takes no owner", { owner });
    }
    return;
  }
  const help = "give it the id of an active human identity as owner (create one with type human first)";
  if (owner === undefined || owner === null) {
    throw new ArbiterError("OWNER_REQUIRED", `a ${type} identity needs an accountable human owner: ${help}`);
  }
  const found = rows.identity(owner);
  if (found === undefined) throw new ArbiterError("OWNER_REQUIRED", `owner ${JSON.stringify(owner)} does not exist: ${help}`, { owner });
  if (found.type !== "human") throw new ArbiterError("OWNER_REQUIRED", `owner ${owner} is a ${found.type}, not a human: ${help}`, { owner });
  if (found.status !== "active") throw new ArbiterError("OWNER_REQUIRED", `owner ${owner} is ${found.status}: ${help}`, { owner });
}

/** The identity `id`, refusing one that may not act or get credentials (status, or no accountable owner). */
export function requireActive(rows: IdentityRows, id: string): Identity {
  const holder = rows.holder(id);
  if (holder === undefined) throw unknownIdentity(id);
  const { identity } = holder;
  if (identity.status !== "active") {
    const help = identity.status === "suspended" ? `; reactivate it first` : "";
    throw new ArbiterError("CONFLICT", `identity ${identity.id} is ${identity.status}${help}`, { id: identity.id, status: identity.status });
  }
  const problem = ownerProblem(holder);
  if (problem !== undefined) throw new ArbiterError("OWNER_REQUIRED", problem, { id: identity.id });
  return identity;
}

/** Ownership must move before its holder leaves: an owned live identity with nobody accountable is an orphan. */
export function requireNothingOwned(rows: IdentityRows, human: Identity): void {
  if (human.type !== "human") return;
  const owned = rows.liveOwned(human.id);
  if (owned.length > 0) {
    throw new ArbiterError(
      "CONFLICT",
      `${human.id} still owns ${owned.length} active or suspended identit${owned.length === 1 ? "y" : "ies"} (${owned.join(", ")}); ` +
        `transfer each first with \`arbiter identity update ID --owner OTHER_HUMAN\``,
      { id: human.id, owned },
    );
  }
}
