// Policy set versions in the store and their activation, each activation recorded in the ledger in the same transaction.
import type { Ledger } from "../ledger/index.js";
import { ArbiterError, newRecordId, type Caller, type IdentityType, type JsonObject } from "../record/index.js";
import type { PolicyRepository } from "../store/index.js";
import { compilePolicySet, type PolicySet, type PolicySource } from "./compile.js";
import { diffHash, diffPolicySets, type PolicyDiff, type PolicySetContent } from "./content.js";

export interface PolicyActor {
  id: string;
  type: Exclude<IdentityType, "unknown">;
  /** How the actor was determined; recorded as the policy_change's `caller`. */
  determined_by?: Caller["determined_by"];
}

export interface Activation {
  from: string | null;
  to: string;
  /** False when the set was already active: nothing was written. */
  changed: boolean;
  diff: PolicyDiff;
  /** The policy_change record and its ledger index, when changed. */
  recordId?: string;
  index?: number;
}

export interface StoredVersion {
  version: string;
  created_at: string;
  policies: number;
  active: boolean;
}

export interface ActivationEntry {
  seq: number;
  version: string;
  previous: string | null;
  actor: PolicyActor;
  activated_at: string;
  record_id: string;
}

/** Compiled sets kept in memory; a running server needs one or two, replays a few more. */
const CACHE_SIZE = 8;

export class PolicyStore {
  private readonly repo: PolicyRepository;
  private readonly ledger: Ledger;
  private readonly cache = new Map<string, PolicySet>();
  /** The active version as read under one value of the store's change counter, which an activation moves. */
  private remembered: { state: number; version: string | null } | undefined;

  constructor(repo: PolicyRepository, ledger: Ledger) {
    this.repo = repo;
    this.ledger = ledger;
  }

  /**
   * The active version (PolicyRepository.activeVersion). Given `state`, the store's change counter
   * as a decision read it before anything else (IdentityDirectory.changeVersion), the version read
   * under the same value is answered without reading again: every activation, by any process, moves
   * the counter in its own transaction.
   */
  activeVersion(state?: number): string | null {
    if (state === undefined) return this.repo.activeVersion();
    if (this.remembered?.state === state) return this.remembered.version;
    const version = this.repo.activeVersion();
    this.remembered = { state, version };
    return version;
  }

  active(state?: number): PolicySet | undefined {
    const version = this.activeVersion(state);
    return version === null ? undefined : this.get(version);
  }

  /** A stored version, compiled (and cached); undefined if it was never activated here. */
  get(version: string): PolicySet | undefined {
    const cached = this.cache.get(version);
    if (cached) return cached;
    const row = this.repo.version(version);
    if (!row) return undefined;
    const set = compilePolicySet(JSON.parse(row.content) as PolicySetContent, JSON.parse(row.sources) as Record<string, PolicySource>);
    if (set.version !== version) {
      throw new ArbiterError("POLICY_INVALID", `stored policy set ${version} now hashes to ${set.version}: its content was altered`, { version });
    }
    this.cache.set(version, set);
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    return set;
  }

  content(version: string): PolicySetContent | undefined {
    const row = this.repo.version(version);
    return row === undefined ? undefined : (JSON.parse(row.content) as PolicySetContent);
  }

  /** Every stored version, newest first. */
  versions(): StoredVersion[] {
    const active = this.activeVersion();
    return this.repo.versions().map((r) => ({ version: r.version, created_at: r.createdAt, policies: (JSON.parse(r.content) as PolicySetContent).policies.length, active: r.version === active }));
  }

  /** Every activation, newest first. */
  history(): ActivationEntry[] {
    return this.repo.activations().map((r) => ({
      seq: r.seq,
      version: r.version,
      previous: r.previous,
      actor: JSON.parse(r.actor) as PolicyActor,
      activated_at: r.activatedAt,
      record_id: r.recordId,
    }));
  }

  /**
   * Makes `set` the active version. Appends a policy_change record whose effect stores the version
   * and the activation row, so both commit with the record or neither does. Activating the active
   * version is a no-op. Refuses (CONFLICT) when another process activated a version meanwhile.
   */
  async activate(set: PolicySet, actor: PolicyActor, note?: string, attributes?: JsonObject): Promise<Activation> {
    const from = this.activeVersion();
    const diff = diffPolicySets(from === null ? undefined : this.content(from), set.content);
    if (from === set.version) return { from, to: set.version, changed: false, diff };
    const now = new Date();
    const recordId = newRecordId(now.getTime());
    const who = { id: actor.id, type: actor.type };
    const summary = [
      `Activated policy set ${set.version} (${set.rules.length} policies`,
      `: ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed`,
      diff.schema_changed ? ", schema changed" : "",
      diff.limits_changed ? ", limits changed" : "",
      ").",
      note ? ` ${note}` : "",
    ].join("");
    const activation = {
      version: set.version,
      content: JSON.stringify(set.content),
      sources: JSON.stringify(set.sources),
      previous: from,
      actor: JSON.stringify(who),
      at: now.toISOString(),
      recordId,
    };
    const caller = actor.determined_by !== undefined ? { caller: { ...who, determined_by: actor.determined_by } } : {};
    const appended = await this.ledger.append(
      { kind: "policy_change", id: recordId, from_version: from, to_version: set.version, actor: who, ...caller, diff_hash: diffHash(diff), note: summary, ...(attributes ? { attributes } : {}) },
      { effects: [{ type: "policy.activate", activation }] },
    );
    this.cache.set(set.version, set);
    return { from, to: set.version, changed: true, diff, recordId, index: appended.index };
  }
}
