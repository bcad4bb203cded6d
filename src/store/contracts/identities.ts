// The identities contract: identities and their owners, credentials (hashes only), and tasks.
import type { IdentityType as AnyIdentityType, JsonObject } from "../../record/index.js";

/** The identity types Arbiter manages (`unknown` exists only in imported records). */
export type ManagedType = Exclude<AnyIdentityType, "unknown">;

export type IdentityStatus = "active" | "suspended" | "revoked" | "offboarded";
export type CredentialKind = "api_key" | "token";
export type CredentialStatus = "active" | "rotated" | "revoked";

/** What a `pep` identity may assert about the caller it names (identity/schema.ts validates it). */
export type AssertionScope = {
  types: ManagedType[];
  groups: string[];
  ids: string[];
  authentication: boolean;
};

export interface Identity {
  id: string;
  type: ManagedType;
  /** The accountable human; null for humans. */
  owner: string | null;
  status: IdentityStatus;
  display_name: string | null;
  groups: string[];
  /** Operator roles (checked on the way in; typed loosely so a policy's role name can be looked up). */
  roles: string[];
  attributes: JsonObject;
  /** What this identity may assert as an enforcement point; null: nothing. */
  assertion_scope: AssertionScope | null;
  /** Tokens issued before this instant are refused (CREDENTIAL_ROTATED) once the grace below has passed. */
  credentials_not_before: string | null;
  credentials_grace_until: string | null;
  created_at: string;
  /** Set by every write of the identity's row: the version an effect `identity.expect` compares. */
  updated_at: string;
}

/** A credential as stored: never a secret, never a hash. */
export interface CredentialInfo {
  id: string;
  identity_id: string;
  kind: CredentialKind;
  status: CredentialStatus;
  created_at: string;
  /** Tokens: their `exp`. API keys: null, or the end of the grace period once rotated. */
  expires_at: string | null;
  rotated_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  /** Tokens: the task they were issued for (completing it revokes them all); null otherwise. */
  task: string | null;
}

/** A credential with the SHA-256 of its secret (API keys; null for tokens), for authentication only. */
export interface CredentialRow extends CredentialInfo {
  secret_hash: Buffer | null;
}

/** An identity with the type and status of its owner (undefined: no owner, or an owner the store does not hold). */
export interface Holder {
  identity: Identity;
  owner: { type: ManagedType; status: IdentityStatus } | undefined;
}

/** A credential with its identity and that identity's owner; holder is undefined if the identity is gone. */
export interface CredentialWithHolder {
  credential: CredentialRow;
  holder: Holder | undefined;
  /** When the credential's task was completed, null if it has none or it is open. */
  taskCompletedAt: string | null;
}

/** A task: created by the first token issued for it, completed once. */
export interface TaskRow {
  id: string;
  owner: string;
  created_at: string;
  completed_at: string | null;
  completed_by: string | null;
}

export interface NewCredential {
  id: string;
  identityId: string;
  kind: CredentialKind;
  secretHash: Buffer | null;
  createdAt: string;
  expiresAt: string | null;
  task?: string;
}

/** Every given filter must hold. */
export interface IdentityFilter {
  type?: ManagedType | undefined;
  status?: IdentityStatus | undefined;
  owner?: string | undefined;
  group?: string | undefined;
}

/**
 * Reads of the identity tables. Synchronous and uncached: authentication reads a credential with
 * its holder on every call (one primary-key read), and a change committed by any process must be
 * seen by the next read. Writes are StoreEffects (identity.*, credential.*, api_key.rotate, task.*),
 * committed with the lifecycle record that says so.
 */
export interface IdentityRepository {
  /**
   * A number that differs from every earlier answer once identity state may have changed, or a policy
   * set was activated, by this process or another one: what caches of authentication results, of
   * identities named by id and of the active policy version are checked against (a revoked credential
   * is refused on its next use, a new policy set decides the next decision). Read it before the lookup
   * whose result is kept. A policy.activate effect must move it in its own transaction, as identity
   * effects do; a refused activation must not.
   */
  changeVersion(): number;
  identity(id: string): Identity | undefined;
  /** The identity with its owner's type and status, in one read. */
  holder(id: string): Holder | undefined;
  /** A credential with its identity and that identity's owner, in one read. */
  credentialWithHolder(id: string): CredentialWithHolder | undefined;
  /** In id order. */
  list(filter: IdentityFilter): Identity[];
  /** Non-human identities owned by `owner` that can act or come back (active or suspended), in id order. */
  liveOwned(owner: string): string[];
  credential(id: string): CredentialRow | undefined;
  /** Oldest first. */
  credentialsOf(identityId: string): CredentialInfo[];
  /** Ids of the identity's active API keys, in id order. */
  activeKeysOf(identityId: string): string[];
  task(id: string): TaskRow | undefined;
  /** Credentials issued for the task, oldest first. */
  credentialsOfTask(task: string): CredentialInfo[];
}

/** The identity-table changes that commit with a lifecycle record (see StoreEffect). */
export type IdentityEffect =
  /** CONFLICT when an identity with this id exists. */
  | { type: "identity.insert"; identity: Identity }
  /**
   * Changes nothing; CONFLICT unless the identity exists with this status and updated_at: the state a
   * change's preconditions were checked against has not moved since (by any process).
   */
  | { type: "identity.expect"; id: string; status: IdentityStatus; updatedAt: string }
  /** CONFLICT while `owner` owns a live (active or suspended) non-human identity. */
  | { type: "identity.owns_none"; owner: string }
  /** Writes owner, display name, groups, roles, attributes, assertion scope and updated_at. */
  | { type: "identity.update"; identity: Identity }
  /** CONFLICT unless the status is `from`; with revokeCredentials, every credential not yet revoked is revoked at `at`. */
  | { type: "identity.set_status"; id: string; from: IdentityStatus; status: IdentityStatus; at: string; revokeCredentials: boolean }
  | { type: "credential.insert"; credential: NewCredential }
  /** CONFLICT when the credential does not exist or is already revoked. */
  | { type: "credential.revoke"; id: string; at: string }
  /**
   * Marks the identity's active API keys rotated at `at`, usable until `validUntil`, replaced by
   * `replacedBy`, and refuses tokens issued before `at` (after `graceUntil`, when given); CONFLICT
   * unless the active keys are exactly `replaced`.
   */
  | { type: "api_key.rotate"; identityId: string; replaced: readonly string[]; replacedBy: string; at: string; validUntil: string; graceUntil: string | null }
  /** Creates the task unless it exists (its first owner stays); CONFLICT when it is completed (reason_code TASK_COMPLETED). */
  | { type: "task.open"; id: string; owner: string; at: string }
  /**
   * Marks the task completed and revokes its credentials; CONFLICT when it is already completed or
   * its credentials are no longer exactly `credentials` (a token issued meanwhile).
   */
  | { type: "task.complete"; id: string; at: string; by: string; credentials: readonly string[] };
