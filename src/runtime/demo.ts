// `arbiter serve --demo`: a data directory with the sample policies and identities that show every outcome.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Actor, AssertionScope, CreateIdentityInput } from "../identity/index.js";
import { initLedgerDir } from "../ledger/index.js";
import { loadPolicyDir } from "../policy/index.js";
import { inspectDataDir, readSecretFile, writeSecretFile } from "../store/index.js";
import { openRuntime } from "./index.js";

export const DEMO_POLICIES = fileURLToPath(new URL("../../examples/policies/", import.meta.url));
export const DEMO_CREDENTIALS_FILE = "demo-credentials.json";

const SEEDER: Actor = { id: "arbiter-demo", type: "human" };

/**
 * What the demo's enforcement point may assert: every non-human identity, the on-call group (dave's
 * break-glass) and freshness (the step-up flow). Alice, Bob and Carol stay outside it, so the demo
 * shows a refused assertion too.
 */
const DEMO_PEP_SCOPE = { types: ["agent", "service_account", "api_key", "workload", "pipeline"], groups: ["oncall"], ids: [], authentication: true } satisfies AssertionScope;

/** People first: every non-human identity needs an owner that already exists. */
const IDENTITIES: CreateIdentityInput[] = [
  { id: "alice", type: "human", display_name: "Alice (owns the agents)", groups: ["platform-admins"] },
  { id: "bob", type: "human", display_name: "Bob (release approver)", roles: ["approver"], groups: ["release-approver"] },
  { id: "carol", type: "human", display_name: "Carol (operator)", roles: ["admin", "auditor"] },
  { id: "dave", type: "human", display_name: "Dave (on call)", groups: ["oncall"] },
  { id: "support-agent", type: "agent", owner: "alice", groups: ["support"], attributes: { team: "support" } },
  { id: "research-agent", type: "agent", owner: "alice", attributes: { team: "research" } },
  { id: "release-pipeline", type: "pipeline", owner: "alice", groups: ["release-pipelines"] },
  { id: "mcp-gateway", type: "service_account", owner: "carol", roles: ["pep"], display_name: "Enforcement points", assertion_scope: DEMO_PEP_SCOPE },
];

const KEYS_FOR = ["carol", "bob", "mcp-gateway", "support-agent", "research-agent", "release-pipeline"];

interface DemoCredentials {
  api_keys: Record<string, string>;
}

const ROLE_OF: Record<string, string> = {
  carol: "operator: admin + auditor",
  bob: "release approver",
  "mcp-gateway": "enforcement point: pep",
  "support-agent": "agent",
  "research-agent": "agent",
  "release-pipeline": "pipeline",
};

function describe(credentials: DemoCredentials, url: string): string[] {
  return [
    "demo credentials (kept in demo-credentials.json in the data directory, mode 0600):",
    ...Object.entries(credentials.api_keys).map(([id, key]) => `  ${id} (${ROLE_OF[id] ?? "identity"}): ${key}`),
    "try, with the mcp-gateway key as $PEP:",
    `  curl -s ${url}/v1/decisions -H "authorization: Bearer $PEP" -H 'content-type: application/json' \\`,
    `    -d '{"subject":{"id":"support-agent"},"action":"query_customers","resource":{"type":"Dataset","id":"crm","attributes":{"classification":"internal"}}}'`,
  ];
}

/**
 * A demo directory made before PEPs had assertion scopes: its gateway was migrated to none, which
 * would break the README's flows. Only the demo's own gateway, still unscoped, gets the demo scope,
 * recorded as a change by the demo seeder.
 */
async function scopeDemoPep(dir: string): Promise<void> {
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    const gateway = runtime.identities.get("mcp-gateway");
    if (gateway?.roles.includes("pep") && gateway.assertion_scope === null && gateway.status === "active") {
      await runtime.identities.update(gateway.id, { assertion_scope: DEMO_PEP_SCOPE }, SEEDER, "demo gateway given the demo's assertion scope");
    }
  } finally {
    await runtime.close();
  }
}

/** Initialises the directory, loads the sample identities and policies once; the answer says how to use them at the address the server got. */
export async function prepareDemo(dir: string): Promise<(url: string) => string[]> {
  // An existing data directory keeps its own origin; only a new one is named for the demo.
  initLedgerDir(dir, inspectDataDir(dir) === "arbiter" ? {} : { origin: "demo.arbiter.local/ledger" });
  const credentialsPath = join(dir, DEMO_CREDENTIALS_FILE);
  if (existsSync(credentialsPath)) {
    const kept = JSON.parse(readSecretFile(credentialsPath)) as DemoCredentials;
    await scopeDemoPep(dir);
    return (url) => describe(kept, url);
  }
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    for (const identity of IDENTITIES) if (!runtime.identities.get(identity.id)) await runtime.identities.create(identity, SEEDER);
    await runtime.policies.activate(loadPolicyDir(DEMO_POLICIES), SEEDER);
    const api_keys: Record<string, string> = {};
    for (const id of KEYS_FOR) api_keys[id] = (await runtime.identities.issueApiKey(id, SEEDER)).key;
    const credentials: DemoCredentials = { api_keys };
    writeSecretFile(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`);
    return (url) => describe(credentials, url);
  } finally {
    await runtime.close();
  }
}
