// The HTTP enforcement world: one Arbiter on a free port, a real upstream that counts what reaches it, real nginx and Caddy in front.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { join } from "node:path";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWTPayload } from "jose";
import { afterAll } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { CreateIdentityInput } from "../../../src/identity/index.js";
import { DEMO_POLICIES } from "../../../src/runtime/demo.js";
import { ROOT, tempDir } from "../../support/cli.js";
import { PEOPLE_AND_MACHINES, TUESDAY_10, TestClock, serveSeeded, type SeededServer } from "../../support/server.js";
import { freePort } from "../../support/net.js";
export { freePort };

export const EXAMPLES = join(ROOT, "examples", "http");
export const IDP_ISSUER = "https://idp.test.example";
export const IDP_AUDIENCE = "orders-api";
export const TRUST_DOMAIN = "test.example";

/** A request the upstream received: what nginx or Caddy forwarded. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the upstream answers for customer data: the reverse proxy must mask it. */
export const CUSTOMERS = { customers: [{ name: "Ada", email: "ada@example.com", card: "4111 1111 1111 1111" }, { name: "Bob", email: "bob@example.com", note: "paid with 5500 0000 0000 0004" }] };
/** The upstream answers this path only after this long (the reverse proxy's timeout test). */
export const SLOW_PATH = "/public/slow";
export const SLOW_MS = 3000;

export interface Upstream {
  url: string;
  port: number;
  received: Received[];
}

export interface HttpWorld extends SeededServer {
  dir: string;
  tmp: string;
  clock: TestClock;
  upstream: Upstream;
  /** Signs a JWT with the configured issuer's key (or another key), for the JWT caller form. */
  jwt(claims: JWTPayload, options?: { key?: "idp" | "stranger" | "spiffe"; alg?: string; expiresIn?: string | number }): Promise<string>;
}

export const EDGE_PEPS: CreateIdentityInput[] = [
  { id: "edge-nginx", type: "service_account", owner: "carol", roles: ["pep"] },
  { id: "edge-caddy", type: "service_account", owner: "carol", roles: ["pep"] },
];

function startUpstream(): Promise<Upstream> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const entry: Received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: "" };
    received.push(entry);
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (entry.body += chunk));
    req.on("end", () => {
      const answer = (): void => {
        if (res.destroyed) return;
        const body = /^\/datasets\/[^/]+\/customers/.test(req.url ?? "") ? CUSTOMERS : { ok: true, url: req.url };
        res.writeHead(200, { "content-type": "application/json", connection: "keep-alive, x-upstream-hop", "x-upstream-hop": "1" }).end(JSON.stringify(body));
      };
      if (req.url?.startsWith(SLOW_PATH)) setTimeout(answer, SLOW_MS);
      else answer();
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, port, received });
    }),
  );
}

/** The sample routes plus every caller form the tests use. */
function routesFor(upstream: string): string {
  const routes = parseYaml(readFileSync(join(EXAMPLES, "routes.yaml"), "utf8")) as Record<string, unknown>;
  // A route whose args come from the JSON body (reverse proxy, Envoy with_request_body).
  (routes.routes as unknown[]).push({ match: "POST /releases/:env", action: "deploy", resource: { type: "Environment", id: "{env}", attributes: { tier: { param: "env" } } }, args: { body: ["version"] } });
  routes.unmatched = [{ prefix: "/public/", action: "search_docs", resource_type: "Tool" }];
  routes.callers = {
    api_key_header: "x-api-key",
    jwt: [{ issuer: IDP_ISSUER, audience: IDP_AUDIENCE, jwks_file: "idp-jwks.json", algorithms: ["ES256"], identities: { "svc-research": "research-agent" } }],
    spiffe: [{ trust_domain: TRUST_DOMAIN, audience: IDP_AUDIENCE, jwks_file: "spiffe-bundle.json", identities: { [`spiffe://${TRUST_DOMAIN}/ci/release`]: "release-pipeline" } }],
    client_certificates: { peps: ["edge-nginx"], header: "x-client-cert-subject", identities: { "CN=support-agent,O=Test": "support-agent" } },
  };
  // Arbiter's reverse proxy sends everything to the test upstream.
  routes.upstreams = [{ prefix: "/", url: upstream }];
  return stringifyYaml(routes);
}

export async function startHttpWorld(): Promise<HttpWorld> {
  const tmp = tempDir("arbiter-http-");
  const dir = join(tmp, "data");
  const clock = new TestClock(TUESDAY_10);
  const seeded = await serveSeeded(dir, { origin: "http.test.arbiter.example/ledger", identities: [...PEOPLE_AND_MACHINES, ...EDGE_PEPS], policies: DEMO_POLICIES, runtime: { now: clock.now } });
  const keys: Record<string, { privateKey: CryptoKey; kid: string }> = {};
  for (const [name, file] of [["idp", "idp-jwks.json"], ["spiffe", "spiffe-bundle.json"], ["stranger", undefined]] as const) {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    keys[name] = { privateKey, kid: `${name}-1` };
    if (file) writeFileSync(join(dir, file), JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: `${name}-1`, alg: "ES256", use: "sig" }] }));
  }
  const upstream = await startUpstream();
  writeFileSync(join(dir, "routes.yaml"), routesFor(upstream.url));
  const jwt = async (claims: JWTPayload, options: { key?: "idp" | "stranger" | "spiffe"; alg?: string; expiresIn?: string | number } = {}): Promise<string> => {
    const key = keys[options.key ?? "idp"] as { privateKey: CryptoKey; kid: string };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? "ES256", kid: options.key === "stranger" ? "idp-1" : key.kid })
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(options.expiresIn ?? Math.floor(clock.now().getTime() / 1000) + 600)
      .sign(key.privateKey);
  };
  return { ...seeded, dir, tmp, clock, upstream, jwt };
}

async function waitForPort(port: number, child: ChildProcess, name: string, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not listen on ${port}: ${log()}`);
}

const children: ChildProcess[] = [];

function stopOnExit(child: ChildProcess): void {
  children.push(child);
  // Should the worker die before its afterAll runs, the proxies must not outlive it.
  if (children.length === 1) process.once("exit", () => children.forEach((c) => c.kill("SIGKILL")));
}

/** Stops every proxy this file started (call from a top-level afterAll: hooks registered inside beforeAll do not run). */
export async function stopProxies(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }),
  );
}

export interface Proxy {
  url: string;
  accessLog: string;
}

/**
 * Real nginx (Debian package) with examples/http/nginx-arbiter.conf included as shipped, on a free
 * port, every file of its own under `tmp` (pid, temp paths, logs). `extra` adds server-level lines.
 */
export async function startNginx(world: HttpWorld, pepKey: string, extra = ""): Promise<Proxy> {
  const prefix = tempDir("arbiter-nginx-");
  const port = await freePort();
  const arbiter = new URL(world.url);
  const accessLog = join(prefix, "access.log");
  writeFileSync(join(prefix, "arbiter-pep.conf"), `proxy_set_header X-Arbiter-Pep-Credential "${pepKey}";\n`, { mode: 0o600 });
  writeFileSync(
    join(prefix, "nginx.conf"),
    `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  client_body_temp_path ${prefix}/client_body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  include ${join(EXAMPLES, "nginx-log-format.conf")};
  access_log ${accessLog} arbiter_json;
  upstream arbiter { server ${arbiter.host}; keepalive 16; }
  upstream api { server 127.0.0.1:${world.upstream.port}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    include ${join(EXAMPLES, "nginx-arbiter.conf")};
${extra}
  }
}
`,
  );
  let log = "";
  const child = spawn("nginx", ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "error.log")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  stopOnExit(child);
  await waitForPort(port, child, "nginx", () => `${log}${safeRead(join(prefix, "error.log"))}`);
  return { url: `http://127.0.0.1:${port}`, accessLog };
}

/**
 * Real Caddy (Debian package) running examples/http/Caddyfile as shipped, configured through its
 * environment. With `bypass`, a second site on another port proxies to the same upstream without
 * asking Arbiter, logging to the same access log (what a forgotten route looks like).
 */
export async function startCaddy(world: HttpWorld, pepKey: string, options: { bypass?: boolean } = {}): Promise<Proxy & { bypassUrl?: string }> {
  const home = tempDir("arbiter-caddy-");
  const port = await freePort();
  const accessLog = join(home, "access.log");
  let config = join(EXAMPLES, "Caddyfile");
  let bypassUrl: string | undefined;
  if (options.bypass === true) {
    bypassUrl = `http://127.0.0.1:${await freePort()}`;
    config = join(home, "Caddyfile");
    writeFileSync(config, `import ${join(EXAMPLES, "Caddyfile")}\n\n${bypassUrl} {\n\tlog {\n\t\toutput file ${accessLog}\n\t\tformat json\n\t}\n\treverse_proxy 127.0.0.1:${world.upstream.port}\n}\n`);
  }
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    XDG_DATA_HOME: join(home, "data"),
    XDG_CONFIG_HOME: join(home, "config"),
    ARBITER_LISTEN: `http://127.0.0.1:${port}`,
    ARBITER_ADDR: new URL(world.url).host,
    ARBITER_PEP_CREDENTIAL: pepKey,
    ARBITER_UPSTREAM: `127.0.0.1:${world.upstream.port}`,
    ARBITER_ACCESS_LOG: accessLog,
  };
  let log = "";
  const child = spawn("caddy", ["run", "--config", config, "--adapter", "caddyfile"], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stderr?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stdout?.on("data", (chunk: Buffer) => (log += chunk.toString()));
  stopOnExit(child);
  await waitForPort(port, child, "caddy", () => log);
  return { url: `http://127.0.0.1:${port}`, accessLog, ...(bypassUrl !== undefined ? { bypassUrl } : {}) };
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
