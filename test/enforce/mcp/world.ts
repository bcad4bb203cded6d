// A data directory with the MCP fixture policies and identities, a real Arbiter server over it, and the real MCP servers from npm.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { CreateIdentityInput } from "../../../src/identity/index.js";
import { verifyInclusionProofText } from "../../../src/ledger/index.js";
import type { Runtime } from "../../../src/runtime/index.js";
import type { ArbiterApp } from "../../../src/server/index.js";
import { CLI, ROOT, tempDir } from "../../support/cli.js";
import { serveSeeded } from "../../support/server.js";

export const POLICIES = join(ROOT, "test", "fixtures", "mcp", "policies");
export const FLAKY_SERVER = join(ROOT, "test", "fixtures", "mcp", "flaky-server.js");
export const EVERYTHING = join(ROOT, "node_modules", "@modelcontextprotocol", "server-everything", "dist", "index.js");
export const FILESYSTEM = join(ROOT, "node_modules", "@modelcontextprotocol", "server-filesystem", "dist", "index.js");

export const IDENTITIES: CreateIdentityInput[] = [
  { id: "alice", type: "human" },
  { id: "bob", type: "human", roles: ["approver"], groups: ["tool-approvers"] },
  { id: "carol", type: "human", roles: ["admin", "auditor"] },
  { id: "coder", type: "agent", owner: "alice", groups: ["developers"] },
  { id: "intern-agent", type: "agent", owner: "alice" },
  { id: "gateway", type: "service_account", owner: "carol", roles: ["pep"], assertion_scope: { types: ["agent", "service_account", "api_key", "workload", "pipeline", "human"], authentication: true } },
];

export interface World {
  dir: string;
  /** A scratch directory the filesystem server may serve (it holds workspace/ and workspace/protected/). */
  files: string;
  runtime: Runtime;
  app: ArbiterApp;
  url: string;
  keys: Record<string, string>;
  /** The `arbiter mcp wrap` command line (node + CLI) in front of `upstream`, deciding in the data directory. */
  wrap(credential: string, serverName: string, upstream: string[], extra?: string[]): { command: string; args: string[] };
  bearer(id: string): Record<string, string>;
}

/** `settings`: the text of the data directory's settings.yaml (the MCP front's limits come from its `mcp` section). */
export async function startWorld(settings?: string): Promise<World> {
  const root = tempDir("arbiter-mcp-");
  const dir = join(root, "data");
  const files = join(root, "files");
  mkdirSync(join(files, "workspace", "protected"), { recursive: true });
  const { runtime, app, url, keys } = await serveSeeded(dir, { origin: "test.arbiter.example/mcp", identities: IDENTITIES, policies: POLICIES, ...(settings !== undefined ? { settings } : {}) });
  return {
    dir,
    files,
    runtime,
    app,
    url,
    keys,
    wrap: (credential, serverName, upstream, extra = []) => ({
      command: process.execPath,
      args: [CLI, "mcp", "wrap", "--data", dir, "--credential", credential, "--server-name", serverName, ...extra, "--", ...upstream],
    }),
    bearer: (id) => ({ authorization: `Bearer ${keys[id] ?? ""}`, "content-type": "application/json" }),
  };
}

/** A fresh W3C traceparent for one call, and its trace id to find the call's records by. */
export function traceparent(): { trace: string; meta: { traceparent: string } } {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join("");
  const trace = `4${hex(31)}`;
  return { trace, meta: { traceparent: `00-${trace}-${`1${hex(15)}`}-01` } };
}

export interface Evidence {
  decision: Record<string, unknown> & { id: string; outcome: string; reason_code: string };
  enforcement: (Record<string, unknown> & { status: string })[];
}

/**
 * The decisions of one trace (oldest first), each with its enforcement records, once each has at
 * least `enforcements` of them; every record's inclusion proof is checked against the signed checkpoint.
 */
export async function evidence(world: World, trace: string, decisions: number, enforcements = 1): Promise<Evidence[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = world.runtime.decisions.list({ trace }).reverse();
    const explained = found.map((d) => world.runtime.decisions.explain(d.record.id));
    const complete = explained.length === decisions && explained.every((e) => e.related.filter((r) => r.record.kind === "enforcement").length >= enforcements);
    if (complete || Date.now() > deadline) {
      for (const e of explained) {
        verifyInclusionProofText(e.proof, world.runtime.ledger.entry(e.index), world.runtime.ledger.verifier);
        for (const r of e.related) verifyInclusionProofText(world.runtime.ledger.proveInclusion(r.index), world.runtime.ledger.entry(r.index), world.runtime.ledger.verifier);
      }
      return explained.map((e) => ({
        decision: e.record as Evidence["decision"],
        enforcement: e.related.filter((r) => r.record.kind === "enforcement").map((r) => r.record as unknown as Evidence["enforcement"][number]),
      }));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
