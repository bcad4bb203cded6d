// The client-certificate caller form through real nginx on a listener that verifies client
// certificates (ssl_verify_client on), with examples/http/nginx-arbiter.conf as shipped: the subject
// nginx verified names the identity, a subject header the client sends is replaced by nginx's own
// reading, and a certificate from another CA, or none, never reaches Arbiter or the upstream.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredRecord } from "../../../src/record/index.js";
import { tempDir } from "../../support/cli.js";
import { bearer } from "./raw.js";
import { freePort, startHttpWorld, startNginx, stopProxies, type HttpWorld } from "./world.js";

let world: HttpWorld;
let tlsPort: number;
let certs: string;

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: certs, stdio: "ignore" });
}

/** A CA that nginx trusts, a client certificate it issued for support-agent, one from a stranger CA, and nginx's own certificate. */
function makeCertificates(): void {
  const key = (name: string) => openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`);
  for (const name of ["ca", "stranger", "server", "client", "rogue"]) key(name);
  openssl("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=Test client CA", "-days", "2", "-out", "ca.pem");
  openssl("req", "-x509", "-new", "-key", "stranger.key", "-subj", "/CN=Stranger CA", "-days", "2", "-out", "stranger.pem");
  openssl("req", "-x509", "-new", "-key", "server.key", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2", "-out", "server.pem");
  openssl("req", "-new", "-key", "client.key", "-subj", "/O=Test/CN=support-agent", "-out", "client.csr");
  openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", "client.pem");
  openssl("req", "-new", "-key", "rogue.key", "-subj", "/O=Test/CN=support-agent", "-out", "rogue.csr");
  openssl("x509", "-req", "-in", "rogue.csr", "-CA", "stranger.pem", "-CAkey", "stranger.key", "-CAcreateserial", "-days", "2", "-out", "rogue.pem");
}

beforeAll(async () => {
  world = await startHttpWorld();
  certs = tempDir("arbiter-mtls-");
  makeCertificates();
  tlsPort = await freePort();
  // The same server block, plus a listener that requires a certificate from the test CA.
  await startNginx(
    world,
    world.keys["edge-nginx"] as string,
    `    listen 127.0.0.1:${tlsPort} ssl;
    ssl_certificate ${join(certs, "server.pem")};
    ssl_certificate_key ${join(certs, "server.key")};
    ssl_client_certificate ${join(certs, "ca.pem")};
    ssl_verify_client on;
`,
  );
}, 60_000);
afterAll(stopProxies);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

function tls(path: string, client: "client" | "rogue" | undefined, headers: [string, string][] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const identity = client ? { key: readFileSync(join(certs, `${client}.key`)), cert: readFileSync(join(certs, `${client}.pem`)) } : {};
    const req = request({ host: "127.0.0.1", port: tlsPort, path, method: "DELETE", headers: [["host", `127.0.0.1:${tlsPort}`], ...headers].flat(), ca: readFileSync(join(certs, "server.pem")), agent: false, ...identity }, (res) => {
      res.resume();
      res.once("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.once("error", reject);
    req.end();
  });
}

function decisionOf(answer: Answer): Extract<StoredRecord, { kind: "decision" }> {
  return world.runtime.decisions.find(answer.headers["x-arbiter-decision-id"] as string).record as Extract<StoredRecord, { kind: "decision" }>;
}

describe("client certificates through nginx with ssl_verify_client on", () => {
  it("names the identity by the subject nginx verified, whatever subject header the client sends", async () => {
    const before = world.upstream.received.length;
    const answer = await tls("/datasets/crm/records/1", "client", [["x-client-cert-subject", "CN=carol,O=Test"]]);
    // support-agent may not delete records: a decision about support-agent, refused, never forwarded.
    expect(answer.status).toBe(403);
    expect(decisionOf(answer)).toMatchObject({ subject: { id: "support-agent" }, reason_code: "NO_MATCHING_PERMIT", pep: { id: "edge-nginx" }, attributes: { http: { caller: { kind: "client_certificate" } } } });
    expect(world.upstream.received.length).toBe(before);
  });

  it("refuses a certificate from another CA, or none, before asking Arbiter", async () => {
    const before = world.upstream.received.length;
    const decisions = world.runtime.ledger.size();
    expect((await tls("/datasets/crm/records/1", "rogue")).status).toBe(400);
    expect((await tls("/datasets/crm/records/1", undefined, [bearer(world.keys["support-agent"] as string)])).status).toBe(400);
    expect(world.upstream.received.length).toBe(before);
    expect(world.runtime.ledger.size()).toBe(decisions);
  });
});
