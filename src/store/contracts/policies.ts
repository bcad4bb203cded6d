// The policies contract: policy set versions kept by content hash, and the history of their activation.

/** A stored version as the store keeps it: the compiled set's content and sources as JSON text, parsed by policy/. */
export interface StoredPolicyVersion {
  version: string;
  content: string;
  sources: string;
  createdAt: string;
}

export interface StoredActivation {
  seq: number;
  version: string;
  previous: string | null;
  /** The actor as JSON text ({ id, type }). */
  actor: string;
  activatedAt: string;
  recordId: string;
}

/**
 * Reads of the policy versions and activations. activeVersion is synchronous and cheap: PolicyStore
 * asks it when the store's change counter (IdentityRepository.changeVersion) moved since it last
 * asked, which every activation makes happen. Writes are the StoreEffect policy.activate,
 * committed with the policy_change record.
 */
export interface PolicyRepository {
  /** The version activated last, or null when none ever was. */
  activeVersion(): string | null;
  /** undefined when the version was never stored. */
  version(version: string): StoredPolicyVersion | undefined;
  /** Every stored version, newest first (creation time, then insertion order). */
  versions(): StoredPolicyVersion[];
  /** Every activation, newest first. */
  activations(): StoredActivation[];
}

/** What policy.activate writes: the version (kept if already stored) and one activation after `previous`. */
export interface PolicyActivation {
  version: string;
  content: string;
  sources: string;
  /** The version active before; CONFLICT when another activation came first. */
  previous: string | null;
  actor: string;
  at: string;
  recordId: string;
}
