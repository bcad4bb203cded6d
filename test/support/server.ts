// A real Arbiter server on a free port over a fresh data directory with the sample policies and identities.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, expect } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import type { CreateIdentityInput } from "../../src/identity/index.js";
import type { Caller } from "../../src/record/index.js";
import { verifierFromVkey, verifyInclusionProofText } from "../../src/ledger/index.js";
import { initDataDir } from "./data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openGateways } from "../../src/runtime/gateways.js";
import { openRuntime, type Gateways, type Runtime, type RuntimeOptions } from "../../src/runtime/index.js";
import { SETTINGS_FILE, loadSettings } from "../../src/runtime/settings/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { buildServer, type ArbiterApp, type ServerOptions } from "../../src/server/index.js";
import { tempDir } from "./cli.js";

/** A clock the test moves; every part of the runtime reads it. */
export class TestClock {
  private current: Date;
  constructor(start: string) {
    this.current = new Date(start);
  }
  now = (): Date => new Date(this.current);
  set(iso: string): void {
    this.current = new Date(iso);
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** The caller of decisions a test makes in process, as a local account named on the command line would be. */
export const TEST_CALLER: Caller = { id: "test-runner", type: "human", determined_by: "actor_flag" };

/** Tuesday, inside the deploy window. */
export const TUESDAY_10 = "2026-11-24T10:00:00.000Z";

export const PEOPLE_AND_MACHINES: CreateIdentityInput[] = [
  { id: "alice", type: "human", groups: ["platform-admins"] },
  { id: "bob", type: "human", roles: ["approver"], groups: ["release-approver"] },
  { id: "carol", type: "human", roles: ["admin", "auditor"] },
  { id: "dave", type: "human", groups: ["oncall"] },
  { id: "erin", type: "human", roles: ["approver"], groups: ["release-approver"] },
  { id: "support-agent", type: "agent", owner: "alice", groups: ["support"] },
  { id: "research-agent", type: "agent", owner: "alice" },
  { id: "release-pipeline", type: "pipeline", owner: "alice", groups: ["release-pipelines"] },
  { id: "erin-pipeline", type: "pipeline", owner: "erin", groups: ["release-pipelines"] },
  { id: "gateway", type: "service_account", owner: "carol", roles: ["pep"], assertion_scope: { types: ["agent", "service_account", "api_key", "workload", "pipeline", "human"], authentication: true } },
];

export interface TestServer {
  url: string;
  app: ArbiterApp;
  runtime: Runtime;
  gateways: Gateways;
  clock: TestClock;
  dir: string;
  keys: Record<string, string>;
  /** Bearer headers: pep (gateway), admin (carol), approver (bob). */
  as: { pep: Record<string, string>; admin: Record<string, string>; approver: Record<string, string>; erin: Record<string, string> };
}

export interface SeededServer {
  runtime: Runtime;
  /** The MCP front, HTTP enforcement and notifications the composition root built over the runtime from the data directory's settings. */
  gateways: Gateways;
  app: ArbiterApp;
  url: string;
  /** Each identity's API key, by identity id. */
  keys: Record<string, string>;
}

/**
 * A fresh data directory at `dir` with `identities` (each given an API key) and `policies` active,
 * served on a free port; server and runtime close after the test file. `settings` is the text of the
 * data directory's settings.yaml (the gateways' options come from it, as for `arbiter serve`).
 */
export async function serveSeeded(dir: string, options: { origin: string; identities: readonly CreateIdentityInput[]; policies: string; runtime?: RuntimeOptions; server?: ServerOptions; settings?: string }): Promise<SeededServer> {
  initDataDir(dir, { origin: options.origin });
  if (options.settings !== undefined) writeFileSync(join(dir, SETTINGS_FILE), options.settings);
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0, ...options.runtime });
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const identity of options.identities) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(options.policies), seeder);
  const keys: Record<string, string> = {};
  for (const { id } of options.identities) keys[id] = (await runtime.identities.issueApiKey(id, seeder)).key;
  const gateways = openGateways(runtime, loadSettings({ dir, env: {} }).settings);
  const app = await buildServer(gateways, { logLevel: "silent", ...options.server });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  afterAll(async () => {
    await app.close();
    await gateways.close();
    await runtime.close();
  });
  return { runtime, gateways, app, url, keys };
}

/**
 * Initialises data directory `dir` with PEOPLE_AND_MACHINES and the policies in `policies`, then
 * makes `decide`'s decisions on it with the real clock: recorded now, whatever day the test runs.
 */
export async function decidedNow(dir: string, policies: string, decide: (runtime: Runtime) => Promise<void>): Promise<void> {
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    const seeder = { id: "test-seeder", type: "human" as const };
    for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
    await runtime.policies.activate(loadPolicyDir(policies), seeder);
    await decide(runtime);
  } finally {
    await runtime.close();
  }
}

export async function startTestServer(options: { busyTimeoutMs?: number; server?: ServerOptions } = {}): Promise<TestServer> {
  const dir = join(tempDir("arbiter-server-"), "data");
  const clock = new TestClock(TUESDAY_10);
  const { runtime, gateways, app, url, keys } = await serveSeeded(dir, {
    origin: "test.arbiter.example/ledger",
    identities: PEOPLE_AND_MACHINES,
    policies: DEMO_POLICIES,
    runtime: { now: clock.now, ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}) },
    ...(options.server ? { server: options.server } : {}),
  });
  const bearer = (id: string): Record<string, string> => ({ authorization: `Bearer ${keys[id] ?? ""}`, "content-type": "application/json" });
  return { url, app, runtime, gateways, clock, dir, keys, as: { pep: bearer("gateway"), admin: bearer("carol"), approver: bearer("bob"), erin: bearer("erin") } };
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  contentType: string;
}

export async function call<T = Record<string, unknown>>(server: TestServer, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer<T>> {
  const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}) });
  const contentType = response.headers.get("content-type") ?? "";
  const text = await response.text();
  return { status: response.status, contentType, body: (contentType.includes("json") && text ? JSON.parse(text) : text) as T };
}

/** The decision is in the ledger under its id, with the same outcome, and its inclusion proof verifies. */
export async function expectRecorded(server: TestServer, decision: Decision): Promise<Record<string, unknown>> {
  const entry = await fetch(`${server.url}/v1/log/entries/${decision.ledger.index}`, { headers: server.as.admin });
  const bytes = Buffer.from(await entry.arrayBuffer());
  const record = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
  expect(record).toMatchObject({ kind: "decision", id: decision.decision_id, outcome: decision.outcome, reason_code: decision.reason_code, note: decision.note });
  expect((record.policy as { determining: string[] }).determining).toEqual(decision.policy.determining);
  const proof = (await call<string>(server, "GET", `/v1/log/proof/${decision.ledger.index}`, {})).body;
  const vkey = (await call<string>(server, "GET", "/v1/log/vkey", {})).body.trim();
  expect(verifyInclusionProofText(proof, bytes, verifierFromVkey(vkey)).index).toBe(decision.ledger.index);
  return record;
}

