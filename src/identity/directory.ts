// The identity directory: identities and their owners, lifecycle, credentials and authentication, on the shared store.
import type { Ledger } from "../ledger/index.js";
import { ArbiterError } from "../record/index.js";
import { ChangeBoundCache, type Holder, type IdentityRepository, type StoreEffect, type TaskRow as TaskInfo } from "../store/index.js";
import { authenticateCredential, resolveSubject, type AuthContext, type AuthResult, type Authenticated, type SubjectRef, type SubjectResult } from "./authenticate.js";
import { CredentialCache } from "./credential-cache.js";
import { parseInput, requireIdentity, requireNothingOwned, requireOwner, unchanged, type ChangeContext } from "./changes.js";
import { issueApiKey, revokeCredential, rotateApiKey, type IssuedApiKey, type RotatedApiKey } from "./key-issue.js";
import { TRANSITION_EVENT, nextStatus, type Transition } from "./lifecycle.js";
import { assertionRefusalRecord, lifecycleRecord, roleRefusalRecord } from "./records.js";
import {
  createIdentitySchema,
  newIdentity,
  identityIdSchema,
  listFilterSchema,
  updateIdentitySchema,
  type Actor,
  type CreateIdentityInput,
  type CredentialInfo,
  type Identity,
  type ListFilter,
  type UpdateIdentityInput,
} from "./schema.js";
import { localAccount } from "./local-account.js";
import { completeTask, parseTaskId, type TaskCompletion } from "./tasks.js";
import { ensureTokenKey, loadTokenKey, type PublicJwk, type TokenKey } from "./signing-key.js";
import {
  DEFAULT_TOKEN_SETTINGS,
  exchangeToken,
  issueToken,
  type IssueTokenOptions,
  type IssuedToken,
  type TokenContext,
  type TokenExchangeRequest,
  type TokenSettings,
} from "./token-issue.js";

export interface IdentityDirectoryOptions {
  /** The identity tables of the ledger's store: changes commit in the ledger's transactions, as StoreEffects. */
  identities: IdentityRepository;
  ledger: Ledger;
  /** Where `token.key` lives. */
  dataDir: string;
  /** The `iss` of tokens; every process sharing the data directory must use the same (its origin). */
  issuer: string;
  now?: () => Date;
  tokens?: Partial<TokenSettings>;
}

/** Callers a decision names by credential or id (agents, service accounts behind a PEP): more of them than operators. */
const CALLER_CACHE_ENTRIES = 4096;

export class IdentityDirectory {
  readonly issuer: string;
  private readonly rows: IdentityRepository;
  private readonly ledger: Ledger;
  private readonly dataDir: string;
  private readonly now: () => Date;
  private readonly tokenContext: TokenContext;
  private readonly authContext: AuthContext;
  private readonly operators: CredentialCache;
  private readonly callers: CredentialCache;
  /** Identities a PEP names by id, with their owners; no clock bounds them, only the change counter. */
  private readonly holders = new ChangeBoundCache<Holder>(CALLER_CACHE_ENTRIES);
  private key: TokenKey | undefined;

  constructor(options: IdentityDirectoryOptions) {
    this.rows = options.identities;
    this.ledger = options.ledger;
    this.dataDir = options.dataDir;
    this.issuer = options.issuer;
    this.now = options.now ?? (() => new Date());
    const settings = { ...DEFAULT_TOKEN_SETTINGS, ...options.tokens };
    this.authContext = {
      rows: this.rows,
      issuer: this.issuer,
      leewaySeconds: settings.leewaySeconds,
      // Once the key exists it never changes, so it is the one thing kept between calls.
      tokenKey: () => (this.key ??= loadTokenKey(this.dataDir)),
    };
    this.operators = new CredentialCache(() => this.rows.changeVersion(), (credential, now) => this.authenticate(credential, now));
    this.callers = new CredentialCache(() => this.rows.changeVersion(), (credential, now) => this.authenticate(credential, now), CALLER_CACHE_ENTRIES);
    this.tokenContext = {
      ...this.changeContext(),
      issuer: this.issuer,
      settings,
      signingKey: () => (this.key ??= ensureTokenKey(this.dataDir)),
      authenticate: (credential, now) => this.authenticate(credential, now),
    };
  }

  private changeContext(): ChangeContext {
    return { rows: this.rows, ledger: this.ledger, now: this.now };
  }

  /** The actor of a change: the identity `id` with its type, or a human operator of that name the directory does not hold. */
  actorNamed(id: string): Actor {
    const valid = parseInput(identityIdSchema, id, "actor");
    return { id: valid, type: this.rows.identity(valid)?.type ?? "human" };
  }

  /** The account working on the data directory from this process (see localAccount), typed as the directory knows it. */
  localActor(flag?: string): Actor & { determined_by: NonNullable<Actor["determined_by"]> } {
    const { name, determinedBy } = localAccount(flag);
    return { ...this.actorNamed(name), determined_by: determinedBy };
  }

  get(id: string): Identity | undefined {
    return this.rows.identity(id);
  }

  list(filter: ListFilter = {}): Identity[] {
    return this.rows.list(parseInput(listFilterSchema, filter, "identity filter"));
  }

  /** Credentials of an identity, oldest first; never secrets or hashes. */
  credentials(identityId: string): CredentialInfo[] {
    requireIdentity(this.rows, identityId);
    return this.rows.credentialsOf(identityId);
  }

  /** Creates an active identity. A non-human one needs an active human owner (NO_OWNER otherwise). */
  async create(input: CreateIdentityInput, actor: Actor): Promise<Identity> {
    const parsed = parseInput(createIdentitySchema, input, "identity");
    const identity = newIdentity(parsed, this.now().toISOString());
    if (this.rows.identity(identity.id) !== undefined) {
      throw new ArbiterError("CONFLICT", `identity ${identity.id} already exists`, { id: identity.id });
    }
    requireOwner(this.rows, identity.type, identity.owner);
    const effects: StoreEffect[] = [...unchanged(this.rows, identity.owner), { type: "identity.insert", identity }];
    const scope = identity.assertion_scope !== null ? { attributes: { assertion_scope: identity.assertion_scope } } : {};
    await this.ledger.append(lifecycleRecord("created", identity, actor, scope), { effects });
    return identity;
  }

  /**
   * Replaces the given fields. An owner change (to an active human) appends `owner_changed`; any
   * other change appends `updated` with what changed, so that a role or group grant is evidence too.
   */
  async update(id: string, patch: UpdateIdentityInput, actor: Actor, reason?: string): Promise<Identity> {
    const parsed = parseInput(updateIdentitySchema, patch, "identity update");
    const before = requireIdentity(this.rows, id);
    if (before.status === "offboarded") throw new ArbiterError("CONFLICT", `identity ${id} is offboarded and kept only for the audit trail`, { id });
    const after: Identity = {
      ...before,
      owner: parsed.owner ?? before.owner,
      display_name: parsed.display_name === undefined ? before.display_name : parsed.display_name,
      groups: parsed.groups ?? before.groups,
      roles: parsed.roles ?? before.roles,
      attributes: parsed.attributes ?? before.attributes,
      assertion_scope: parsed.assertion_scope === undefined ? before.assertion_scope : parsed.assertion_scope,
      updated_at: this.now().toISOString(),
    };
    const ownerChanged = after.owner !== before.owner;
    if (ownerChanged) requireOwner(this.rows, after.type, after.owner);
    // The identity as read (updated_at is its version) and a new owner as checked, else CONFLICT.
    const effects: StoreEffect[] = [...unchanged(this.rows, id, ownerChanged ? after.owner : null), { type: "identity.update", identity: after }];
    if (ownerChanged) {
      const note = reason ?? `owner ${before.owner ?? "(none)"} → ${after.owner ?? "(none)"}`;
      await this.ledger.append(lifecycleRecord("owner_changed", after, actor, { note, attributes: { previous_owner: before.owner } }), { effects });
    } else {
      const changed = (["display_name", "groups", "roles", "attributes", "assertion_scope"] as const).filter((field) => JSON.stringify(before[field]) !== JSON.stringify(after[field]));
      const note = reason ?? `changed ${changed.join(", ") || "nothing"}`;
      const previous = Object.fromEntries(changed.map((field) => [field, before[field]]));
      await this.ledger.append(lifecycleRecord("updated", after, actor, { note, attributes: { previous } }), { effects });
    }
    return after;
  }

  suspend(id: string, actor: Actor, reason?: string): Promise<Identity> {
    return this.transition(id, "suspend", actor, reason);
  }

  reactivate(id: string, actor: Actor, reason?: string): Promise<Identity> {
    return this.transition(id, "reactivate", actor, reason);
  }

  /** Ends the identity's credentials for good; only offboarding may follow. */
  revoke(id: string, actor: Actor, reason?: string): Promise<Identity> {
    return this.transition(id, "revoke", actor, reason);
  }

  /** Terminal: credentials revoked, identity kept for the audit trail. A human must first hand over what they own. */
  offboard(id: string, actor: Actor, reason?: string): Promise<Identity> {
    return this.transition(id, "offboard", actor, reason);
  }

  private async transition(id: string, transition: Transition, actor: Actor, reason?: string): Promise<Identity> {
    const before = requireIdentity(this.rows, id);
    const status = nextStatus(before.status, transition);
    if (status === undefined) {
      throw new ArbiterError("CONFLICT", `cannot ${transition} ${id}: it is ${before.status}`, { id, status: before.status });
    }
    if (transition === "offboard") requireNothingOwned(this.rows, before);
    const at = this.now().toISOString();
    const after: Identity = { ...before, status, updated_at: at };
    const note = reason !== undefined && reason !== "" ? { note: reason } : {};
    const effects: StoreEffect[] = [
      ...(transition === "offboard" && before.type === "human" ? [{ type: "identity.owns_none", owner: id } as const] : []),
      { type: "identity.set_status", id, from: before.status, status, at, revokeCredentials: status === "revoked" || status === "offboarded" },
    ];
    await this.ledger.append(lifecycleRecord(TRANSITION_EVENT[transition], after, actor, note), { effects });
    return after;
  }

  issueApiKey(id: string, actor: Actor): Promise<IssuedApiKey> {
    return issueApiKey(this.changeContext(), id, actor);
  }

  rotateApiKey(id: string, actor: Actor, options: { graceSeconds?: number; reason?: string } = {}): Promise<RotatedApiKey> {
    return rotateApiKey(this.changeContext(), id, actor, options);
  }

  revokeCredential(credentialId: string, actor: Actor, reason?: string): Promise<CredentialInfo> {
    return revokeCredential(this.changeContext(), credentialId, actor, reason);
  }

  issueToken(id: string, options: IssueTokenOptions, actor: Actor): Promise<IssuedToken> {
    return issueToken(this.tokenContext, id, options, actor);
  }

  exchangeToken(request: TokenExchangeRequest): Promise<IssuedToken> {
    return exchangeToken(this.tokenContext, request);
  }

  /** The identity that owns a task (the one its first token was issued to), or undefined for no such task. */
  taskOwner(task: string): string | undefined {
    return this.rows.task(parseTaskId(task))?.owner;
  }

  /** A task: its owner, when it started and when and by whom it was completed; undefined for no such task. */
  task(id: string): TaskInfo | undefined {
    return this.rows.task(parseTaskId(id));
  }

  /** Revokes every credential issued for the task, with one record; a second call answers that it was already done. */
  completeTask(task: string, actor: Actor, reason?: string): Promise<TaskCompletion> {
    return completeTask(this.changeContext(), task, actor, reason);
  }

  /** The hot path: never throws for any input; reads current state on every call. */
  authenticate(credential: string, now?: Date): Promise<AuthResult> {
    return authenticateCredential(this.authContext, credential, now ?? this.now());
  }

  /**
   * authenticate() for operators (the bearer of an API request), remembered until identity state
   * changes in this process or another one: a revocation takes effect on the next request either way.
   */
  authenticateOperator(credential: string, now?: Date): Promise<AuthResult> {
    return this.operators.lookup(credential, now ?? this.now());
  }

  /**
   * Records that an authenticated caller was refused an operation for want of an operator role
   * (an `event`, reason ROLE_REQUIRED): who tried what they may not is evidence too.
   */
  async recordRoleRefusal(auth: Authenticated, operation: string, roles: readonly string[]): Promise<void> {
    await this.ledger.append(roleRefusalRecord(auth, operation, roles));
  }

  /** Records that a PEP named a caller outside its assertion scope where no decision is made (a listing). */
  async recordAssertionRefusal(pep: Identity, operation: string, assertedId: string, note: string): Promise<void> {
    await this.ledger.append(assertionRefusalRecord(pep, operation, assertedId, note));
  }

  /**
   * Who is asking, in either form a PEP names the caller, with the same lifecycle checks; never throws.
   * A presented credential is remembered as an operator's is (CredentialCache), and an identity named
   * by id with its owner likewise: a revocation, suspension, rotation or regrouping by any process is
   * seen on the caller's next request. `state` is the change counter as the caller read it first.
   */
  resolve(ref: SubjectRef, now?: Date, state = this.rows.changeVersion()): Promise<SubjectResult> {
    return resolveSubject(this.authContext, ref, now ?? this.now(), (credential, at) => this.callers.lookup(credential, at, state), (id) => this.holderAt(id, state));
  }

  /**
   * The store's change counter (IdentityRepository.changeVersion), which moves on any identity change
   * and on a policy activation, by any process. A decision reads it once and gives it to resolve()
   * and to PolicyStore.active(), so one read serves every lookup the decision makes.
   */
  changeVersion(): number {
    return this.rows.changeVersion();
  }

  private holderAt(id: string, state: number): Holder | undefined {
    const remembered = this.holders.get(id, state, 0);
    if (remembered !== undefined) return remembered;
    const holder = this.rows.holder(id);
    // An unknown id is not kept: a PEP spraying made-up names cannot push the real callers out.
    if (holder !== undefined) this.holders.set(id, holder, state);
    return holder;
  }

  /** The JWK Set (RFC 7517 §5) of the token signing key, creating the key on first use. */
  jwks(): { keys: PublicJwk[] } {
    this.key ??= ensureTokenKey(this.dataDir);
    return { keys: [this.key.jwk] };
  }
}
