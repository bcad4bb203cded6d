// `arbiter policy diff|activate|rollback|show|versions`: policy set versions in the data directory.
import { Command } from "commander";
import { existsSync } from "node:fs";
import type { PolicyDiff, PolicySet, PolicySetContent, PolicyStore, RateLimitRule } from "../../policy/index.js";
import { ArbiterError } from "../../record/errors.js";
import { printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withPolicyStore } from "../session.js";
import type { ReplayReport } from "../../decide/index.js";
import { isStoredVersion, storedSet, testBeforeActivation, testsAttributes, type TestsRecord } from "./policy-activate.js";
import { DEFAULT_POLICY_DIR, policyAction } from "./policy-output.js";
import { printReplay } from "./policy-replay.js";
import { human, escapeControls } from "../../record/index.js";

type Options = DataOption & JsonOption;

async function loadDir(dir: string): Promise<PolicySet> {
  const { loadPolicyDir } = await import("../../policy/index.js");
  return loadPolicyDir(dir);
}

function stored(store: PolicyStore, version: string): PolicySetContent {
  const content = store.content(version);
  if (!content) throw new ArbiterError("NOT_FOUND", `no policy set version ${version} in the data directory`, { version });
  return content;
}

interface DiffOptions extends Options {
  from?: string;
  to?: string;
}

function printDiff(diff: PolicyDiff, fromLabel: string, toLabel: string): void {
  const line = (label: string, ids: string[]) => (ids.length ? `${label} ${escapeControls(ids.join(", "))}\n` : "");
  process.stdout.write(human`from: ${diff.from_version ?? "(none)"} ${fromLabel}\nto:   ${diff.to_version} ${toLabel}\n`);
  if (diff.from_version === diff.to_version) {
    process.stdout.write("no changes\n");
    return;
  }
  process.stdout.write(
    line("added:  ", diff.added) + line("removed:", diff.removed) + line("changed:", diff.changed) +
    `schema: ${diff.schema_changed ? "changed" : "unchanged"}\nlimits: ${diff.limits_changed ? "changed" : "unchanged"}\n`,
  );
}

export function diffCommand(): Command {
  return withJson(withData(new Command("diff")))
    .description("compare two policy sets by policy id, schema and limits")
    .option("--from <version|dir>", "a stored version or a policy directory (default: the active version)")
    .option("--to <dir>", "policy directory", DEFAULT_POLICY_DIR)
    .action(
      policyAction(async (options: DiffOptions) => {
        const { diffPolicySets } = await import("../../policy/index.js");
        const to = await loadDir(options.to ?? DEFAULT_POLICY_DIR);
        let from: PolicySetContent | undefined;
        let fromLabel: string;
        if (options.from !== undefined && !options.from.startsWith("sha256:") && existsSync(options.from)) {
          from = (await loadDir(options.from)).content;
          fromLabel = `(${options.from})`;
        } else {
          const wanted = options.from;
          [from, fromLabel] = await withPolicyStore(options, (store) => {
            const version = wanted ?? store.activeVersion();
            return version === null ? [undefined, "(nothing active)"] : [stored(store, version), wanted ? "(stored)" : "(active)"];
          });
        }
        const diff = diffPolicySets(from, to.content);
        if (options.json) printJson(diff);
        else printDiff(diff, fromLabel, `(${options.to ?? DEFAULT_POLICY_DIR})`);
      }),
    );
}

interface ActivateOptions extends Options {
  actor?: string;
  note?: string;
  tests?: string;
  skipTests?: boolean;
  withReplay?: boolean;
}

/** Activates `set` (tests already run), after showing what it would change on recorded decisions if asked; prints the outcome. */
async function activateChecked(options: ActivateOptions, pick: (store: PolicyStore) => PolicySet, tests: TestsRecord): Promise<void> {
  const { localAccount } = await import("../../identity/index.js");
  const { name, determinedBy } = localAccount(options.actor);
  const actor = { id: name, type: "human" as const, determined_by: determinedBy };
  const { result, replay } = await withPolicyStore(options, async (store, ledger) => {
    const set = pick(store);
    let replay: ReplayReport | undefined;
    if (options.withReplay) {
      const { Replayer } = await import("../../decide/index.js");
      replay = new Replayer(ledger, store).run({ candidate: set });
      if (!options.json) printReplay(replay, (text) => process.stdout.write(text));
    }
    return { result: await store.activate(set, actor, options.note, testsAttributes(tests)), replay };
  });
  if (options.json) {
    printJson({ from: result.from, to: result.to, changed: result.changed, diff: result.diff, tests, ...(replay ? { replay } : {}), ...(result.index !== undefined ? { index: result.index, record_id: result.recordId } : {}) });
  } else if (!result.changed) {
    process.stdout.write(human`already active: ${result.to}\n`);
  } else {
    const testLine = tests.status === "passed" ? `tests: ${tests.passed} passed (${tests.file})` : `tests: ${tests.status} (${tests.reason})`;
    process.stdout.write(human`${testLine}\nactivated: ${result.to}\nprevious: ${result.from ?? "(none)"}\n${result.diff.added.length} added, ${result.diff.removed.length} removed, ${result.diff.changed.length} changed; ledger entry ${result.index}\n`);
  }
}

export function activateCommand(): Command {
  return withJson(withData(new Command("activate")))
    .description("run a policy directory's tests, then make it the active set (or activate a stored version sha256:… again); records a policy_change in the ledger")
    .argument("<dir|version>", "policy directory, or a stored version (sha256:…) to activate again")
    .option("--actor <name>", "who activates (default: $ARBITER_ACTOR, else the OS account)")
    .option("--note <text>", "a sentence for the policy_change record")
    .option("--tests <file>", "test cases to run first (default: tests.yaml in the directory)")
    .option("--skip-tests", "do not run the tests (recorded in the policy_change record)")
    .option("--with-replay", "first print what the set would change on the recorded decisions (see policy replay --with)")
    .action(
      policyAction(async (target: string, options: ActivateOptions) => {
        if (isStoredVersion(target)) {
          await activateChecked(options, (store) => storedSet(store, target), { status: "not_run", reason: "a stored version activated again" });
          return;
        }
        const set = await loadDir(target);
        const tests = await testBeforeActivation(set, target, options);
        await activateChecked(options, () => set, tests);
      }),
    );
}

export function rollbackCommand(): Command {
  return withJson(withData(new Command("rollback")))
    .description("activate again the version that was active before the current one; records a policy_change in the ledger")
    .option("--actor <name>", "who rolls back (default: $ARBITER_ACTOR, else the OS account)")
    .option("--note <text>", "a sentence for the policy_change record")
    .option("--with-replay", "first print what the rollback would change on the recorded decisions")
    .action(
      policyAction(async (options: ActivateOptions) => {
        await activateChecked(options, (store) => {
          const previous = store.history()[0]?.previous ?? null;
          if (previous === null) throw new ArbiterError("NOT_FOUND", "there is no earlier policy set version to roll back to");
          return storedSet(store, previous);
        }, { status: "not_run", reason: "rollback to a stored version" });
      }),
    );
}

function describeLimit(l: RateLimitRule): string {
  const budget = l.rate ? `rate ${l.rate.count}/${l.rate.perSeconds}s burst ${l.burst ?? l.rate.count}` : `quota ${l.quota?.count}/${l.quota?.perSeconds}s`;
  const match = Object.entries(l.match).map(([k, v]) => `${k}=${(v as string[]).join("|")}`).join(" ");
  return `${l.id}  ${budget}${match ? `  ${match}` : ""}`;
}

export function showCommand(): Command {
  return withJson(withData(new Command("show")))
    .description("show the active (or a stored) policy set: its policies and limits")
    // A positional argument: `--version` belongs to the program (it prints Arbiter's version).
    .argument("[version]", "a stored version (default: the active one)")
    .action(
      policyAction(async (wanted: string | undefined, options: Options) => {
        const shown = await withPolicyStore(options, (store) => {
          const version = wanted ?? store.activeVersion();
          if (version === null) throw new ArbiterError("NO_ACTIVE_POLICY", "no policy set is active; run `arbiter policy activate DIR`");
          const set = store.get(version);
          if (!set) throw new ArbiterError("NOT_FOUND", `no policy set version ${version} in the data directory`, { version });
          return { set, active: version === store.activeVersion() };
        });
        const { set, active } = shown;
        if (options.json) {
          printJson({ version: set.version, active, sources: set.sources, content: set.content });
          return;
        }
        process.stdout.write(human`version: ${set.version}${active ? " (active)" : ""}\npolicies: ${set.rules.length}\n`);
        for (const r of set.rules) {
          process.stdout.write(human`  ${r.id}  ${r.effect}  ${r.reason}  ${r.control}${r.file ? `  ${r.file}:${r.line ?? 1}` : ""}\n      ${r.note}\n`);
        }
        process.stdout.write(human`limits: ${set.limits.length}\n`);
        for (const l of set.limits) process.stdout.write(human`  ${describeLimit(l)}\n`);
      }),
    );
}

export function versionsCommand(): Command {
  return withJson(withData(new Command("versions")))
    .description("list stored policy set versions and the history of activations")
    .action(
      policyAction(async (options: Options) => {
        const { versions, history } = await withPolicyStore(options, (store) => ({ versions: store.versions(), history: store.history() }));
        if (options.json) {
          printJson({ versions, activations: history });
          return;
        }
        if (versions.length === 0) process.stdout.write("no policy set was ever activated\n");
        for (const v of versions) process.stdout.write(human`${v.active ? "*" : " "} ${v.version}  ${v.created_at}  ${v.policies} policies\n`);
        if (history.length > 0) process.stdout.write("activations:\n");
        for (const h of history) process.stdout.write(human`  ${h.activated_at}  ${h.version}  by ${h.actor.id} (${h.actor.type})  from ${h.previous ?? "(none)"}\n`);
      }),
    );
}
