// Source principals mapped to Arbiter identities: built-in rules, principal maps, and the ownership finding over real Kubernetes and CloudTrail logs.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { LinkageSummary } from "../../src/linkage/index.js";
import { parsePrincipalMap, PrincipalResolver, type PrincipalMap } from "../../src/linkage/principals.js";
import type { StoredRecord } from "../../src/record/index.js";
import { arbiter } from "../support/cli.js";
import { FIXTURES, makeWorld, plus, type World } from "./world.js";

type Finding = Extract<StoredRecord, { kind: "finding" }>;

describe("PrincipalResolver", () => {
  const known = new Set(["build-bot", "deployer", "ci-runner", "etl", "checkout", "alice"]);
  const resolver = (map?: PrincipalMap) => new PrincipalResolver(map, (id) => known.has(id));

  it.each([
    ["system:serviceaccount:ci:build-bot", "build-bot", "k8s_service_account"],
    ["arn:aws:sts::111122223333:assumed-role/deployer/botocore-session-1", "deployer", "aws_assumed_role"],
    ["arn:aws-us-gov:sts::111122223333:assumed-role/deployer/s", "deployer", "aws_assumed_role"],
    ["arn:aws:iam::111122223333:role/platform/ci/ci-runner", "ci-runner", "aws_role"],
    ["arn:aws:iam::111122223333:user/etl", "etl", "aws_user"],
    ["checkout@shop-prod-1.iam.gserviceaccount.com", "checkout", "gcp_service_account"],
    ["spiffe://prod.example.com/ns/ci/sa/build-bot", "build-bot", "spiffe"],
    ["alice", "alice", "same"],
  ])("%s stands for %s (%s)", (principal, identity, rule) => {
    expect(resolver().resolve([principal])).toEqual({ identity, principal, rule });
  });

  it.each([
    "system:serviceaccount:ci:unknown-bot",
    "system:serviceaccount:build-bot",
    "arn:aws:sts::111122223333:assumed-role/deployer",
    "arn:aws:iam::1111:role/deployer",
    "arn:aws:s3:::build-bot",
    "build-bot@example.com",
    "system:serviceaccount:ci:build-bot:extra",
  ])("%s stands for nobody", (principal) => {
    expect(resolver().resolve([principal])).toBeUndefined();
  });

  it("takes the map first (exact before patterns), even for an identity Arbiter does not know, and can turn the built-in rules off", () => {
    const map = parsePrincipalMap(
      ["principals:", '  "system:serviceaccount:ci:*": ci-runner', '  "system:serviceaccount:ci:build-bot": deployer', '  "arn:aws:iam::111122223333:role/legacy": legacy-bot'].join("\n"),
      "map.yaml",
    );
    expect(resolver(map).resolve(["system:serviceaccount:ci:build-bot"])).toEqual({ identity: "deployer", principal: "system:serviceaccount:ci:build-bot", rule: "map" });
    expect(resolver(map).resolve(["system:serviceaccount:ci:other"])).toMatchObject({ identity: "ci-runner", rule: "map" });
    expect(resolver(map).resolve(["system:serviceaccount:cid:other"])).toBeUndefined();
    expect(resolver(map).resolve(["session-1", "arn:aws:iam::111122223333:role/legacy"])).toMatchObject({ identity: "legacy-bot", rule: "map" });
    expect(resolver({ defaults: false }).resolve(["system:serviceaccount:ci:build-bot"])).toBeUndefined();
    expect(resolver({ defaults: false }).resolve(["alice"])).toMatchObject({ rule: "same" });
  });

  it("reads a JSON map and refuses a bad one with the place of the problem", () => {
    expect(parsePrincipalMap('{"defaults": false, "principals": {"a": "b"}}', "map.json")).toEqual({ defaults: false, principals: { a: "b" } });
    expect(() => parsePrincipalMap("principals:\n  a: has space\n", "map.yaml")).toThrow(/^map\.yaml: principals\.a: an Arbiter identity id/);
    expect(() => parsePrincipalMap("principal:\n  a: b\n", "map.yaml")).toThrow(/^map\.yaml: principal map: Unrecognized key/i);
    expect(() => parsePrincipalMap("principals: [a, b]\n", "map.yaml")).toThrow(/^map\.yaml: principals:/);
    expect(() => parsePrincipalMap("principals: {a: b\n", "map.yaml")).toThrow(/^map\.yaml is not YAML or JSON/);
  });
});

describe("the ownership finding over real logs", () => {
  let world: World;
  let time = "";
  let k8sLog = "";

  const findingsOf = (summary: LinkageSummary): Finding[] => world.records("finding").filter((r): r is Finding => r.kind === "finding" && r.run_id === summary.run_id);
  const owners = (summary: LinkageSummary) => findingsOf(summary).filter((f) => f.reason_code === "IDENTITY_WITHOUT_OWNER");
  const link = (path: string, format: "k8s" | "cloudtrail", principals?: PrincipalMap) =>
    world.linkage.run({ path }, { format, actor: { id: "carol", type: "human" }, ...(principals ? { principals } : {}) });

  beforeAll(async () => {
    world = await makeWorld();
    await world.runtime.identities.create({ id: "build-bot", type: "service_account", owner: "alice" }, world.seeder);
    await world.runtime.identities.create({ id: "deployer", type: "workload", owner: "alice" }, world.seeder);
    const { key } = await world.runtime.identities.issueApiKey("build-bot", world.seeder);
    const decision = await world.runtime.engine.decide({ subject: { credential: key }, action: "get", resource: { type: "K8sObject", id: "ci/build-cache" } }, { id: "k8s-webhook", type: "service_account", determined_by: "actor_flag" });
    expect(decision.outcome).toBe("allow");
    await world.runtime.identities.revoke("frank", world.seeder, "left the company");
    time = plus(decision.time, 1);
    const text = readFileSync(join(FIXTURES, "principals", "k8s-ci.jsonl"), "utf8").replaceAll("REQUEST_TIME", time).replace("DECISION_ID", decision.decision_id);
    k8sLog = world.write("k8s-ci.jsonl", text.trim().split("\n"));
  });

  it("a service account linked to its identity's decision is not reported; one that stands for nobody, or for an identity whose owner left, is", async () => {
    const summary = await link(k8sLog, "k8s");
    // A built-in rule names the owner, never a decision: line 2 (no decision id) stays unlinked.
    expect(summary).toMatchObject({ events: 4, linked: 1, by_key: { decision_id: 1, subject_action_resource: 0 }, findings: { UNLINKED_ACTION: 3, IDENTITY_WITHOUT_OWNER: 2 } });
    const [ghost, orphan] = owners(summary);
    expect(ghost).toMatchObject({
      subject: { id: "system:serviceaccount:ci:ghost-bot" },
      evidence: { identity_id: "system:serviceaccount:ci:ghost-bot", known_to_arbiter: false, events: 1, first_event: { line: 3 } },
      note: `system:serviceaccount:ci:ghost-bot acted at ${new Date(time).toISOString()} with nobody accountable for it: it is a service_account that stands for no identity Arbiter knows (add it with arbiter identity create, or name its identity with --principal-map).`,
    });
    expect(orphan).toMatchObject({
      evidence: { identity_id: "orphan-agent", known_to_arbiter: true, why: "its owner frank is revoked", source_principal: "system:serviceaccount:ml:orphan-agent", mapped_by: "k8s_service_account" },
      note: `system:serviceaccount:ml:orphan-agent (identity orphan-agent, by k8s_service_account) acted at ${new Date(time).toISOString()} with nobody accountable for it: its owner frank is revoked.`,
    });
    for (const f of owners(summary)) expect(f.note?.match(/nobody/g)).toHaveLength(1);
  });

  it("without the built-in rules the linked service account is reported, as before principal maps", async () => {
    const summary = await link(k8sLog, "k8s", { defaults: false });
    expect(summary).toMatchObject({ linked: 1, by_key: { decision_id: 1 } });
    expect(owners(summary).map((f) => f.evidence.identity_id)).toEqual(["system:serviceaccount:ci:build-bot", "system:serviceaccount:ci:ghost-bot", "system:serviceaccount:ml:orphan-agent"]);
  });

  it("a principal map names the identity a principal is (for the join too), and an identity it names that Arbiter does not know is reported", async () => {
    const map = parsePrincipalMap(
      ["principals:", '  "system:serviceaccount:ci:build-bot": build-bot', '  "system:serviceaccount:ci:ghost-bot": build-bot', '  "system:serviceaccount:ml:*": retired-bot'].join("\n"),
      "principals.yaml",
    );
    const summary = await link(k8sLog, "k8s", map);
    expect(summary).toMatchObject({ linked: 2, by_key: { decision_id: 1, subject_action_resource: 1 } });
    expect(world.linkage.events(summary.run_id).map((e) => [e.line, e.subject, e.key])).toEqual([
      [1, "system:serviceaccount:ci:build-bot", "decision_id"],
      [2, "system:serviceaccount:ci:build-bot", "subject_action_resource"],
    ]);
    const found = owners(summary);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      evidence: { identity_id: "system:serviceaccount:ml:orphan-agent", known_to_arbiter: false, why: "the principal map names retired-bot for it, an identity Arbiter does not know", mapped_by: "map" },
    });
  });

  it("CloudTrail: an assumed role's session stands for the role's identity; a role Arbiter does not know is reported once", async () => {
    const text = readFileSync(join(FIXTURES, "principals", "cloudtrail-roles.jsonl"), "utf8").replaceAll("REQUEST_TIME", time);
    const summary = await link(world.write("roles.jsonl", text.trim().split("\n")), "cloudtrail");
    expect(summary).toMatchObject({ events: 2, findings: { UNLINKED_ACTION: 2, IDENTITY_WITHOUT_OWNER: 1 } });
    expect(owners(summary)[0]?.evidence).toMatchObject({ identity_id: "scrape-7f3a", known_to_arbiter: false, why: expect.stringMatching(/^it is a workload that stands for no identity Arbiter knows/) as unknown });
  });

  it("`arbiter link --principal-map` refuses a map it cannot read before any run", () => {
    const bad = world.write("bad-map.yaml", ["principals:", "  system:serviceaccount:ci:x: not an id"]);
    const result = arbiter(["link", "--source", k8sLog, "--format", "k8s", "--principal-map", bad, "--data", world.dir, "--no-report"], { env: { ARBITER_ACTOR: "carol" } });
    expect(result).toMatchObject({ status: 2, stdout: "" });
    expect(result.stderr).toBe(`arbiter: ${bad}: principals.system:serviceaccount:ci:x: an Arbiter identity id: 1 to 128 letters, digits or . _ @ : - [USAGE]\n`);
  });
});
