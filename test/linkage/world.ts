// A data directory with people, agents, their keys and the linkage test policies, on a clock the test moves.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { Decision, DecisionRequest } from "../../src/decide/index.js";
import { loadBindingKey } from "../../src/store/index.js";
import type { CreateIdentityInput } from "../../src/identity/index.js";
import { initDataDir } from "../support/data-dir.js";
import { Linkage, type LinkageSummary, type LinkFormat, type Mapping } from "../../src/linkage/index.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import type { StoredRecord } from "../../src/record/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";

export const POLICIES = join(import.meta.dirname, "..", "fixtures", "linkage", "policies");
export const FIXTURES = join(import.meta.dirname, "..", "fixtures", "linkage");

export const PEOPLE_AND_AGENTS: CreateIdentityInput[] = [
  { id: "alice", type: "human" },
  { id: "bob", type: "human", roles: ["approver"], groups: ["refund-approver"] },
  { id: "frank", type: "human" },
  { id: "support-agent", type: "agent", owner: "alice" },
  { id: "research-agent", type: "agent", owner: "alice" },
  { id: "orphan-agent", type: "agent", owner: "frank" },
  { id: "report-bot", type: "service_account", owner: "alice" },
];

export interface World {
  dir: string;
  files: string;
  runtime: Runtime;
  clock: TestClock;
  keys: Record<string, { key: string; id: string }>;
  linkage: Linkage;
  seeder: { id: string; type: "human" };
  decide(request: Omit<DecisionRequest, "subject"> & { as: string }): Promise<Decision>;
  write(name: string, lines: readonly unknown[]): string;
  link(path: string, format: LinkFormat, options?: { mapping?: Mapping; window?: number; skew?: number }): Promise<LinkageSummary>;
  records(kind: string): StoredRecord[];
}

export async function makeWorld(): Promise<World> {
  const root = tempDir("arbiter-linkage-");
  const dir = join(root, "data");
  initDataDir(dir, { origin: "test.arbiter.example/linkage" });
  const clock = new TestClock(TUESDAY_10);
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  afterAll(() => runtime.close());
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const identity of PEOPLE_AND_AGENTS) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(POLICIES), seeder);
  const keys: World["keys"] = {};
  for (const id of ["support-agent", "research-agent", "orphan-agent", "report-bot"]) {
    const issued = await runtime.identities.issueApiKey(id, seeder);
    keys[id] = { key: issued.key, id: issued.credential.id };
  }
  const linkage = new Linkage({ tables: runtime.store.linkage, ledger: runtime.ledger, identities: runtime.identities, grants: runtime.grants, bindingKey: loadBindingKey(dir), now: clock.now });
  return {
    dir,
    files: root,
    runtime,
    clock,
    keys,
    linkage,
    seeder,
    decide: ({ as, ...request }) => runtime.engine.decide({ ...request, subject: { credential: keys[as]?.key ?? "" } }, TEST_CALLER),
    write(name, lines) {
      const path = join(root, name);
      writeFileSync(path, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n");
      return path;
    },
    link: (path, format, options = {}) =>
      linkage.run({ path }, {
        format,
        actor: { id: "carol", type: "human" },
        ...(options.mapping ? { mapping: options.mapping } : {}),
        ...(options.window !== undefined ? { windowSeconds: options.window } : {}),
        ...(options.skew !== undefined ? { skewSeconds: options.skew } : {}),
      }),
    records(kind) {
      const out: StoredRecord[] = [];
      for (const entry of runtime.ledger.reader.entries(0, runtime.ledger.size())) {
        const record = JSON.parse(entry.data.toString("utf8")) as StoredRecord;
        if (record.kind === kind) out.push(record);
      }
      return out;
    },
  };
}

/** An access-log line of a service behind an enforcement point, as the default mapping reads it. */
export function accessLine(fields: { time: string; subject: string; action: string; resource: string; status?: number; decision?: string; trace?: string; key?: string; args?: unknown; id?: string }): Record<string, unknown> {
  return {
    time: fields.time,
    subject: fields.subject,
    action: fields.action,
    resource: fields.resource,
    status: fields.status ?? 200,
    ...(fields.key !== undefined ? { key_id: fields.key } : {}),
    ...(fields.id !== undefined ? { id: fields.id } : {}),
    ...(fields.args !== undefined ? { args: fields.args } : {}),
    headers: {
      ...(fields.decision !== undefined ? { "x-arbiter-decision-id": fields.decision } : {}),
      ...(fields.trace !== undefined ? { traceparent: `00-${fields.trace}-00f067aa0ba902b7-01` } : {}),
    },
  };
}

export const plus = (iso: string, seconds: number): string => new Date(Date.parse(iso) + seconds * 1000).toISOString();
