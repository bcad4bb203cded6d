// Who is acting, by one rule for every command: --actor, else $ARBITER_ACTOR, else the OS account, each
// recorded with how it was determined; never a failure for a shell without $USER, $LOGNAME or $HOME.
import { spawnSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, ROOT, tempDir } from "../support/cli.js";

const work = tempDir("arbiter-actor-");
const data = join(work, "data");
const policies = join(work, "policies");
/** A uid with no passwd entry, as containers run with: os.userInfo() throws for it. */
const NAMELESS_UID = 54_321;

/** The environment of a container or service manager: no USER, LOGNAME, HOME, and no ARBITER_ACTOR. */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", ...extra };
}

function run(args: string[], options: { env?: Record<string, string>; uid?: number } = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args, "--data", data], {
    env: bareEnv(options.env),
    cwd: ROOT,
    input: "",
    ...(options.uid !== undefined ? { uid: options.uid, gid: options.uid } : {}),
  });
  return { status: result.status, stdout: result.stdout.toString("utf8"), stderr: result.stderr.toString("utf8") };
}

function ok(args: string[], options: { env?: Record<string, string>; uid?: number } = {}): string {
  const result = run(args, options);
  expect(result.stderr).not.toMatch(/USER|cannot tell who/);
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

type Rec = Record<string, unknown> & { kind: string };

function records(): Rec[] {
  return ok(["log", "tail", "-n", "1000", "--json"])
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { record: Rec }).record);
}

function last(kind: string, where: (r: Rec) => boolean = () => true): Rec {
  const found = records().filter((r) => r.kind === kind && where(r)).at(-1);
  expect(found, kind).toBeDefined();
  return found as Rec;
}

const osName = userInfo().username;

beforeAll(() => {
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "schema.cedarschema"), `entity Environment { tier: String };\naction deploy appliesTo { principal: [Pipeline], resource: [Environment] };\n`);
  writeFileSync(
    join(policies, "break.cedar"),
    `@id("oncall-break-glass")\n@note("On-call people may break glass.")\npermit (principal in Group::"oncall", action == Action::"break_glass", resource);\n`,
  );
  ok(["init", "--origin", "test.arbiter.example/actor"]);
});

describe("who is acting, without $USER", () => {
  it("identity commands name the OS account, then $ARBITER_ACTOR, then --actor, each with how it was determined", () => {
    ok(["identity", "create", "--id", "alice", "--type", "human"]);
    expect(last("lifecycle")).toMatchObject({
      event: "created",
      actor: { id: osName, type: "human" },
      caller: { id: osName, type: "human", determined_by: "os_account" },
    });

    ok(["identity", "create", "--id", "dave", "--type", "human", "--group", "oncall"], { env: { ARBITER_ACTOR: "ops-lead" } });
    expect(last("lifecycle")).toMatchObject({ actor: { id: "ops-lead" }, caller: { id: "ops-lead", determined_by: "actor_env" } });

    // --actor wins over the environment, and an identity the directory holds is recorded with its type.
    ok(["identity", "create", "--id", "bot", "--type", "agent", "--owner", "alice", "--actor", "alice"], { env: { ARBITER_ACTOR: "ops-lead" } });
    expect(last("lifecycle")).toMatchObject({ identity: { id: "bot" }, actor: { id: "alice", type: "human" }, caller: { id: "alice", determined_by: "actor_flag" } });
  });

  it("policy activate records the actor and how it was determined", () => {
    ok(["policy", "activate", policies]);
    expect(last("policy_change")).toMatchObject({ actor: { id: osName, type: "human" }, caller: { id: osName, determined_by: "os_account" } });
  });

  it("break-glass start, end and review name the account, never a made-up operator", () => {
    const started = JSON.parse(ok(["breakglass", "start", "--identity", "dave", "--justification", "INC-7: the deploy pipeline is down", "--json"])) as { decisionId: string; session: { id: string } };
    expect(last("decision", (r) => r.id === started.decisionId)).toMatchObject({ caller: { id: osName, determined_by: "os_account" } });

    ok(["breakglass", "end", started.session.id], { env: { ARBITER_ACTOR: "ops-lead" } });
    const ended = last("event", (r) => r.action === "break_glass_end");
    expect(ended).toMatchObject({ subject: { id: "ops-lead", type: "human" }, caller: { id: "ops-lead", determined_by: "actor_env" } });

    ok(["breakglass", "review", started.session.id, "--note", "pipeline restored"]);
    expect(last("event", (r) => r.action === "break_glass_review")).toMatchObject({ subject: { id: osName }, caller: { id: osName, determined_by: "os_account" } });
    expect(JSON.stringify(records())).not.toContain('"operator"');
  });

  it("log erase names who asked", () => {
    ok(["log", "erase", "--subject", "dave", "--reason", "test erasure"]);
    expect(last("event", (r) => r.action === "erase_raw_values")).toMatchObject({ subject: { id: osName }, caller: { id: osName, determined_by: "os_account" } });
  });

  // Only root can run a child as a uid without a passwd entry.
  it.skipIf(process.getuid?.() !== 0)("names an account without a passwd entry by its uid", () => {
    chmodSync(work, 0o755);
    for (const entry of readdirSync(data)) chownSync(join(data, entry), NAMELESS_UID, NAMELESS_UID);
    chownSync(data, NAMELESS_UID, NAMELESS_UID);
    ok(["identity", "create", "--id", "erin", "--type", "human"], { uid: NAMELESS_UID });
    expect(last("lifecycle")).toMatchObject({ actor: { id: `uid:${NAMELESS_UID}`, type: "human" }, caller: { determined_by: "os_account" } });
  });
});
