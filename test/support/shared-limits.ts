// Data directories and real processes for the tests of limits shared across processes and replicas.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { initDataDir } from "./data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime } from "../../src/runtime/index.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";
import { CLI, ROOT, tempDir } from "./cli.js";
import { PEOPLE_AND_MACHINES } from "./server.js";

/**
 * The sample policies with agent-search at 5 per hour (burst 5): the budget is spent by the sixth
 * call whatever the machine's speed, where 5 per minute would refill one every 12 s of a slow run.
 */
export const FIVE_AN_HOUR = (old: string): string => old.replace("rate: 5/minute", "rate: 5/hour");

/** A data directory with the test identities and the sample policies (agent-search changed by `limits`); returns the gateway's key. */
export async function seedDataDir(dir: string, settings?: string): Promise<{ pepKey: string }> {
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  if (settings !== undefined) writeFileSync(join(dir, "settings.yaml"), settings);
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    const seeder = { id: "test-seeder", type: "human" as const };
    for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
    await runtime.policies.activate(loadPolicyDir(policyDir({ "limits.yaml": FIVE_AN_HOUR }, EXAMPLES)), seeder);
    return { pepKey: (await runtime.identities.issueApiKey("gateway", seeder)).key };
  } finally {
    await runtime.close();
  }
}

export function freshDataDir(prefix: string): string {
  return join(tempDir(prefix), "data");
}

export const SEARCH_ARGS = ["decide", "--subject", "research-agent", "--action", "search_docs", "--resource", "Tool::docs/search", "--resource-attr", "server=docs", "--resource-attr", "sensitivity=public", "--json"];
export const SEARCH_REQUEST = { subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes: { server: "docs", sensitivity: "public" } } };

export interface DecideResult {
  status: number | null;
  outcome: string;
  reason_code: string;
  decision_id: string;
}

/** `arbiter decide` for research-agent's search in its own process, without blocking the test's event loop. */
export function decideInProcess(dir: string, env: NodeJS.ProcessEnv = {}): Promise<DecideResult> {
  const child = spawn(process.execPath, [CLI, ...SEARCH_ARGS, "--data", dir], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => {
      try {
        resolve({ status, ...(JSON.parse(out) as Omit<DecideResult, "status">) });
      } catch {
        reject(new Error(`arbiter decide exited ${String(status)} without a JSON answer: ${err}`));
      }
    });
  });
}

export interface ServeProcess {
  url: string;
  decide(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** A real `arbiter serve` on a free port over `dir`; `pepKey` authenticates its decision requests. */
export async function startServe(dir: string, pepKey: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [CLI, "serve", "--port", "0", "--log-level", "warn", "--data", dir], { cwd: ROOT, env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  for (let i = 0; i < 400 && !/serving (http:\S+)/.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  const url = /serving (http:\S+)/.exec(out)?.[1];
  if (url === undefined) {
    child.kill("SIGKILL");
    throw new Error(`arbiter serve did not start: ${err}`);
  }
  return {
    url,
    async decide(body) {
      const response = await fetch(`${url}/v1/decisions`, { method: "POST", headers: { authorization: `Bearer ${pepKey}`, "content-type": "application/json" }, body: JSON.stringify(body) });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      child.kill("SIGTERM");
      expect(await exited, err).toBe(0);
    },
  };
}
