// What bench:proxy runs against: a data directory with a small orders API's policies, routes and
// callers; the upstream that counts what reaches it; Arbiter (serve --proxy-port); and nginx, once
// with the shipped forward-auth snippet (examples/http) and once as a plain reverse proxy.
import { fork, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify as stringifyYaml } from "yaml";
import { initLedgerDir } from "../src/ledger/index.js";
import { loadPolicyDir } from "../src/policy/index.js";
import { openRuntime } from "../src/runtime/index.js";
import { freePort, waitFor } from "./load.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EXAMPLES_HTTP = join(ROOT, "examples", "http");

/** Callers of the API, half agents, half service accounts, each with its own API key. */
export const CALLERS = 64;

const SCHEMA = `// A small orders API: orders, customer records and a catalogue search.
type IdentityAttributes = { team?: String };
entity Order { region: String };
entity Customer { tier: String };
entity Endpoint { service: String };
action read_order appliesTo { principal: [Agent, ServiceAccount], resource: [Order] };
action read_customer appliesTo { principal: [Agent, ServiceAccount], resource: [Customer] };
action search_catalog appliesTo { principal: [Agent, ServiceAccount], resource: [Endpoint], context: { args: { query: { q?: String } } } };
`;

const POLICIES = `@id("orders-read")
@note("The orders team's agents and services may read orders.")
permit (principal in Group::"orders", action == Action::"read_order", resource is Order);

@id("support-customers")
@note("Support may read customer records.")
permit (principal in Group::"support", action == Action::"read_customer", resource is Customer);

@id("no-restricted-customers")
@note("Restricted customer records are not read through the API.")
forbid (principal, action == Action::"read_customer", resource is Customer)
when { resource.tier == "restricted" };

@id("catalog-search")
@note("Any agent or service may search the catalogue.")
permit (principal, action == Action::"search_catalog", resource is Endpoint);

// Reads the query, so Cedar evaluates each different search (an answer is cached by what policy reads).
@id("no-credential-searches")
@note("Searching the catalogue for credentials is refused.")
forbid (principal, action == Action::"search_catalog", resource)
when { context.args.query has q && context.args.query.q like "*password*" };
`;

/** The routes file (the shape of examples/http/routes.yaml): three routes, both API-key forms, the upstream. */
function routes(upstream: string): string {
  return stringifyYaml({
    routes: [
      { match: "GET /orders/:id", action: "read_order", resource: { type: "Order", id: "{id}", attributes: { region: { query: "region" } } } },
      { match: "GET /customers/:id", action: "read_customer", resource: { type: "Customer", id: "{id}", attributes: { tier: { query: "tier" } } }, sensitivity: "confidential" },
      { match: "GET /catalog/search", action: "search_catalog", resource: { type: "Endpoint", id: "catalog/search", attributes: { service: "catalog" } }, args: { query: ["q"] } },
    ],
    callers: { api_key_header: "x-api-key" },
    upstreams: [{ prefix: "/", url: upstream }],
  });
}

export interface Keys {
  /** The API key of caller i. */
  callers: string[];
  /** The PEP that posts to /v1/decisions itself. */
  client: string;
  /** The PEP credential nginx sends with each check. */
  nginx: string;
}

/** A data directory: policies active, callers and PEPs created with their keys, routes.yaml written. */
export async function seed(work: string, upstream: string): Promise<{ dir: string; keys: Keys }> {
  const dir = join(work, "data");
  const policies = join(work, "policies");
  mkdirSync(policies, { recursive: true });
  writeFileSync(join(policies, "schema.cedarschema"), SCHEMA);
  writeFileSync(join(policies, "orders.cedar"), POLICIES);
  initLedgerDir(dir, { origin: "bench.arbiter.example/proxy" });
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  try {
    const seeder = { id: "bench", type: "human" as const };
    await runtime.identities.create({ id: "alice", type: "human" }, seeder);
    const callers: string[] = [];
    for (let i = 0; i < CALLERS; i++) {
      const id = `${i % 2 === 0 ? "agent" : "svc"}-${String(i).padStart(2, "0")}`;
      await runtime.identities.create({ id, type: i % 2 === 0 ? "agent" : "service_account", owner: "alice", groups: ["orders", "support"] }, seeder);
      callers.push((await runtime.identities.issueApiKey(id, seeder)).key);
    }
    // Both PEPs forward the caller's own credential, which needs no assertion scope.
    await runtime.identities.create({ id: "bench-client", type: "service_account", owner: "alice", roles: ["pep"] }, seeder);
    await runtime.identities.create({ id: "edge-nginx", type: "service_account", owner: "alice", roles: ["pep"] }, seeder);
    const client = (await runtime.identities.issueApiKey("bench-client", seeder)).key;
    const nginx = (await runtime.identities.issueApiKey("edge-nginx", seeder)).key;
    await runtime.policies.activate(loadPolicyDir(policies), seeder);
    writeFileSync(join(dir, "routes.yaml"), routes(upstream));
    return { dir, keys: { callers, client, nginx } };
  } finally {
    await runtime.close();
  }
}

const started: ChildProcess[] = [];

/** Stops every process this module started (nginx, Arbiter, the upstream). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    started.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }),
  );
}

export interface Upstream {
  url: string;
  port: number;
  pid: number;
  /** Requests received so far, and how many of them carried a decision id. */
  count(): Promise<{ received: number; decided: number }>;
}

export async function startUpstream(): Promise<Upstream> {
  const child = fork(join(ROOT, "bench", "proxy-upstream.ts"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  started.push(child);
  const [first] = (await once(child, "message")) as [{ port: number }];
  const count = async (): Promise<{ received: number; decided: number }> => {
    const answer = once(child, "message");
    child.send("count");
    return ((await answer) as [{ received: number; decided: number }])[0];
  };
  return { url: `http://127.0.0.1:${first.port}`, port: first.port, pid: child.pid as number, count };
}

export interface Arbiter {
  url: string;
  proxyUrl: string;
  pid: number;
}

export async function startArbiter(dir: string): Promise<Arbiter> {
  const [port, proxyPort] = [await freePort(), await freePort()];
  // ARBITER_NODE_ARGS: options for the server's Node.js (e.g. --cpu-prof --cpu-prof-dir=DIR to profile it under load).
  const nodeArgs = (process.env.ARBITER_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, "dist", "cli", "main.js"), "serve", "--port", String(port), "--proxy-port", String(proxyPort), "--log-level", "warn", "--data", dir], { stdio: ["ignore", "ignore", "inherit"] });
  started.push(child);
  await waitFor(`http://127.0.0.1:${port}/healthz`, child);
  await waitFor(`http://127.0.0.1:${proxyPort}/`, child);
  return { url: `http://127.0.0.1:${port}`, proxyUrl: `http://127.0.0.1:${proxyPort}`, pid: child.pid as number };
}

export interface Nginx {
  url: string;
  pid: number;
}

/**
 * Real nginx (the Debian package), one worker, its files under `prefix`. With `check`, the server
 * block includes examples/http/nginx-arbiter.conf as shipped (auth_request to /v1/forward-auth, with
 * keepalive to Arbiter unless `keepalive` is false); without, it only proxies: the floor.
 */
export async function startNginx(prefix: string, upstreamPort: number, check?: { arbiter: string; pepKey: string; keepalive: boolean }): Promise<Nginx> {
  mkdirSync(prefix, { recursive: true });
  const port = await freePort();
  let server = `    location / {\n      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n      proxy_pass http://api;\n    }\n`;
  let http = `  access_log ${join(prefix, "access.log")} combined buffer=64k flush=1s;\n`;
  if (check) {
    writeFileSync(join(prefix, "arbiter-pep.conf"), `proxy_set_header X-Arbiter-Pep-Credential "${check.pepKey}";\n`, { mode: 0o600 });
    server = `    include ${join(EXAMPLES_HTTP, "nginx-arbiter.conf")};\n`;
    http = `  include ${join(EXAMPLES_HTTP, "nginx-log-format.conf")};\n  access_log ${join(prefix, "access.log")} arbiter_json buffer=64k flush=1s;\n  upstream arbiter { server ${new URL(check.arbiter).host};${check.keepalive ? " keepalive 32;" : ""} }\n`;
  }
  writeFileSync(
    join(prefix, "nginx.conf"),
    `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${http}  upstream api { server 127.0.0.1:${upstreamPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
${server}  }
}
`,
  );
  const child = spawn("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")], { stdio: ["ignore", "ignore", "inherit"] });
  started.push(child);
  const spawned = await Promise.race([once(child, "spawn").then(() => true), once(child, "error").then(() => false)]);
  if (!spawned) throw new Error("nginx could not be started: it is the Debian package nginx (apt-get install nginx)");
  await waitFor(`http://127.0.0.1:${port}/_bench_not_a_route`, child);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid as number };
}
