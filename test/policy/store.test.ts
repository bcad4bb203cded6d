// The policy store: activation writes its version and a policy_change record in one transaction, once.
import { describe, expect, it, vi } from "vitest";
import { diffHash, diffPolicySets, loadPolicyDir, PolicyStore } from "../../src/policy/index.js";
import { openLedger } from "../../src/ledger/index.js";
import { freshLedger } from "../support/ledger.js";
import { queryStore } from "../support/store.js";
import { EXAMPLES, MINIMAL, policyDir } from "./policy-dirs.js";

const actor = { id: "dana", type: "human" } as const;

function record(ledger: ReturnType<typeof freshLedger>["ledger"], index: number): Record<string, unknown> {
  return JSON.parse(ledger.entry(index).toString("utf8")) as Record<string, unknown>;
}

describe("PolicyStore", () => {
  it("starts with nothing active", () => {
    const { ledger, store: tables } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    expect(store.activeVersion()).toBeNull();
    expect(store.active()).toBeUndefined();
    expect(store.versions()).toEqual([]);
  });

  it("activates a set: stores its content and appends a policy_change record with the diff hash", async () => {
    const { ledger, store: tables } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const first = loadPolicyDir(MINIMAL);
    const result = await store.activate(first, actor, "First rollout.");
    expect(result).toMatchObject({ from: null, to: first.version, changed: true, index: 0 });
    expect(record(ledger, 0)).toMatchObject({
      kind: "policy_change",
      id: result.recordId,
      from_version: null,
      to_version: first.version,
      actor: { id: "dana", type: "human" },
      diff_hash: diffHash(diffPolicySets(undefined, first.content)),
      note: `Activated policy set ${first.version} (2 policies: 2 added, 0 removed, 0 changed, schema changed). First rollout.`,
    });
    expect(store.activeVersion()).toBe(first.version);
    expect(store.active()?.rules).toEqual(first.rules);

    const second = loadPolicyDir(EXAMPLES);
    const next = await store.activate(second, actor);
    expect(next).toMatchObject({ from: first.version, to: second.version, changed: true, index: 1 });
    expect(record(ledger, 1)).toMatchObject({ from_version: first.version, to_version: second.version, diff_hash: diffHash(diffPolicySets(first.content, second.content)) });
    expect(store.versions().map((v) => [v.version, v.active, v.policies])).toEqual([
      [second.version, true, 12],
      [first.version, false, 2],
    ]);
    expect(store.history().map((h) => [h.seq, h.version, h.previous, h.actor, h.record_id])).toEqual([
      [2, second.version, first.version, actor, next.recordId],
      [1, first.version, null, actor, result.recordId],
    ]);
    expect(store.get(first.version)?.version).toBe(first.version);
    expect(store.content(first.version)).toEqual(first.content);
    expect(store.get("sha256:" + "0".repeat(64))).toBeUndefined();
  });

  it("does nothing when the set is already active", async () => {
    const { ledger, store: tables } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const set = loadPolicyDir(MINIMAL);
    await store.activate(set, actor);
    const again = await store.activate(loadPolicyDir(policyDir({ "policies.cedar": (s) => `// reformatted\n${s}\n\n` })), actor);
    expect(again).toMatchObject({ from: set.version, to: set.version, changed: false });
    expect(again.recordId).toBeUndefined();
    expect(ledger.size()).toBe(1);
    expect(store.history()).toHaveLength(1);
  });

  it("re-activating an older version records the change back", async () => {
    const { ledger, store: tables } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const a = loadPolicyDir(MINIMAL);
    const b = loadPolicyDir(EXAMPLES);
    await store.activate(a, actor);
    await store.activate(b, actor);
    const back = await store.activate(a, actor);
    expect(back).toMatchObject({ from: b.version, to: a.version, changed: true, index: 2 });
    expect(store.versions()).toHaveLength(2);
  });

  it("writes nothing when the record is refused: version, activation and record commit together", async () => {
    const { ledger, store: tables, dir } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const set = loadPolicyDir(MINIMAL);
    await expect(store.activate(set, { id: "", type: "human" })).rejects.toMatchObject({ code: "INVALID_RECORD" });
    expect(ledger.size()).toBe(0);
    expect(store.activeVersion()).toBeNull();
    expect(queryStore<{ n: number | string }>(dir, "SELECT count(*) AS n FROM policy_versions").map((r) => Number(r.n))).toEqual([0]);
  });

  it("refuses with CONFLICT when another process activated meanwhile, and writes nothing", async () => {
    const { ledger, store: tables, dir } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const a = loadPolicyDir(MINIMAL);
    const b = loadPolicyDir(EXAMPLES);
    // Without group commit the other process commits inside activate(), before this one's batch runs.
    const other = openLedger(dir, { checkpointIntervalMs: 0, groupCommit: false });
    const otherStore = new PolicyStore(other.store.policies, other.ledger);
    const pending = expect(store.activate(a, actor)).rejects.toMatchObject({ code: "CONFLICT" });
    await otherStore.activate(b, { id: "erin", type: "human" });
    await pending;
    expect(store.activeVersion()).toBe(b.version);
    expect(ledger.size()).toBe(1);
    await other.ledger.close();
  });

  it("reads the active version once per value of the change counter, and sees an activation by this connection and by another", async () => {
    const { ledger, store: tables, dir } = freshLedger();
    const store = new PolicyStore(tables.policies, ledger);
    const a = loadPolicyDir(MINIMAL);
    const b = loadPolicyDir(EXAMPLES);
    await store.activate(a, actor);
    const reads = vi.spyOn(tables.policies, "activeVersion");
    /** Asked twice under one counter value: read from the store once. */
    const activeUnder = (state: number): string | undefined => {
      reads.mockClear();
      const version = store.activeVersion(state);
      expect(store.active(state)?.version).toBe(version);
      expect(reads).toHaveBeenCalledTimes(1);
      return version ?? undefined;
    };
    const first = tables.identities.changeVersion();
    expect(activeUnder(first)).toBe(a.version);

    await store.activate(b, actor);
    const second = tables.identities.changeVersion();
    expect(second).not.toBe(first);
    expect(activeUnder(second)).toBe(b.version);

    const other = openLedger(dir, { checkpointIntervalMs: 0 });
    await new PolicyStore(other.store.policies, other.ledger).activate(a, { id: "erin", type: "human" });
    await other.ledger.close();
    const third = tables.identities.changeVersion();
    expect(third).not.toBe(second);
    expect(activeUnder(third)).toBe(a.version);
    // Without a counter value it always reads.
    reads.mockClear();
    expect(store.activeVersion()).toBe(a.version);
    expect(store.activeVersion()).toBe(a.version);
    expect(reads).toHaveBeenCalledTimes(2);
  });

  it("a reopened store compiles the active version from stored content, with its sources", async () => {
    const { ledger, store: tables, dir } = freshLedger();
    const set = loadPolicyDir(EXAMPLES);
    await new PolicyStore(tables.policies, ledger).activate(set, actor);
    await ledger.close();
    const reopened = openLedger(dir, { checkpointIntervalMs: 0 });
    const active = new PolicyStore(reopened.store.policies, reopened.ledger).active();
    expect(active?.version).toBe(set.version);
    expect(active?.rule("deploy-window")).toMatchObject({ file: "deploy.cedar", line: 8 });
    expect(active?.rules).toEqual(set.rules);
    await reopened.ledger.close();
  });

  it("refuses stored content that no longer hashes to its version", async () => {
    const { ledger, store: tables, dir } = freshLedger();
    const set = loadPolicyDir(MINIMAL);
    await new PolicyStore(tables.policies, ledger).activate(set, actor);
    const tampered = JSON.stringify(set.content).replace("Restricted documents are never deleted.", "Anything goes.");
    queryStore(dir, "UPDATE policy_versions SET content = ?", [tampered]);
    expect(() => new PolicyStore(tables.policies, ledger).active()).toThrowError(expect.objectContaining({ code: "POLICY_INVALID", message: expect.stringMatching(/its content was altered/) as string }) as Error);
  });
});
