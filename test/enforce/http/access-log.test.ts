// Closing the loop: real nginx and Caddy write their JSON access logs with the shipped configuration, and
// `arbiter link --format nginx|caddy` (the real CLI) links each proxied request to its decision, while a
// request that reached the upstream through a route without the auth step is UNLINKED_ACTION.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LinkageSummary } from "../../../src/linkage/index.js";
import { arbiter } from "../../support/cli.js";
import { bearer, raw } from "./raw.js";
import { startCaddy, startHttpWorld, startNginx, stopProxies, type HttpWorld, type Proxy } from "./world.js";

let world: HttpWorld;
let nginx: Proxy;
let caddy: Proxy & { bypassUrl?: string };

beforeAll(async () => {
  world = await startHttpWorld();
  // The forgotten route: a second location that proxies without auth_request.
  const bypass = "    location /internal/ {\n      proxy_pass http://api;\n    }";
  [nginx, caddy] = await Promise.all([startNginx(world, world.keys["edge-nginx"] as string, bypass), startCaddy(world, world.keys["edge-caddy"] as string, { bypass: true })]);
}, 60_000);
afterAll(stopProxies);

const key = (id: string): string => world.keys[id] as string;

/** Sends the same mix through a proxy: two allowed, one denied, one without a credential, and one that goes around Arbiter. */
async function traffic(base: string, bypassBase: string): Promise<number> {
  const before = world.upstream.received.length;
  expect((await raw(base, "GET", "/docs/search?q=secret-token-123", [bearer(key("research-agent"))])).status).toBe(200);
  expect((await raw(base, "POST", "/environments/staging/deploy", [["x-api-key", key("release-pipeline")]])).status).toBe(200);
  expect((await raw(base, "DELETE", "/datasets/crm/records/42", [bearer(key("support-agent"))])).status).toBe(403);
  expect((await raw(base, "GET", "/docs/search")).status).toBe(401);
  // The bypassing client even forges the header the upstream and a naive log would believe.
  const forged = world.upstream.received.at(-1)?.headers["x-arbiter-decision-id"] as string;
  expect((await raw(bypassBase, "GET", "/internal/export", [["x-arbiter-decision-id", forged]])).status).toBe(200);
  return world.upstream.received.length - before;
}

function link(format: string, log: string): LinkageSummary {
  const result = arbiter(["link", "--source", log, "--format", format, "--data", world.dir, "--actor", "carol", "--json", "--no-report"]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as LinkageSummary;
}

function findingsOf(summary: LinkageSummary) {
  return world.runtime.linkage.report(summary.run_id).findings as unknown as { code: string; line: number; note: string }[];
}

describe("arbiter link over proxy access logs", () => {
  it("links every request nginx forwarded after asking, and reports the one that went around as UNLINKED_ACTION", async () => {
    expect(await traffic(nginx.url, nginx.url)).toBe(3);
    // nginx refuses this one itself (an encoded NUL), before asking: it never reached the upstream, so it is no finding.
    expect((await raw(nginx.url, "GET", "/docs/search%00.json", [bearer(key("research-agent"))])).status).toBe(400);
    // nginx writes the line of a refused malformed request once the connection is closed.
    for (let i = 0; i < 100 && readFileSync(nginx.accessLog, "utf8").trim().split("\n").length < 6; i++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(nginx.accessLog, "utf8")).not.toContain(key("research-agent"));

    const summary = link("nginx", nginx.accessLog);
    expect(summary).toMatchObject({ format: "nginx", events: 5, linked: 4, unlinked: 1, ignored: { "nginx refused a malformed request itself": 1 }, by_key: { decision_id: 4 }, findings: { UNLINKED_ACTION: 1 } });
    const findings = findingsOf(summary);
    expect(findings.map((f) => [f.code, f.line])).toEqual([["UNLINKED_ACTION", 5]]);
    expect(findings[0]?.note).toContain("GET /internal/export");
    // The query (which may carry a secret) is not part of what the run keeps.
    expect(JSON.stringify(world.runtime.linkage.report(summary.run_id))).not.toContain("secret-token-123");
  });

  it("links every request Caddy forwarded after asking, and reports the one that went around as UNLINKED_ACTION", async () => {
    world.clock.advance(61); // research-agent's search budget
    expect(await traffic(caddy.url, caddy.bypassUrl as string)).toBe(3);
    const summary = link("caddy", caddy.accessLog);
    expect(summary).toMatchObject({ format: "caddy", events: 5, linked: 4, unlinked: 1, by_key: { decision_id: 4 }, findings: { UNLINKED_ACTION: 1 } });
    const findings = findingsOf(summary);
    expect(findings.map((f) => f.code)).toEqual(["UNLINKED_ACTION"]);
    expect(findings[0]?.note).toContain("GET /internal/export");
  });

  it("links a Caddy allow by the decision Arbiter answered, not by the header the client sent", async () => {
    const forged = "dec_forged_by_client";
    const answer = await raw(caddy.url, "POST", "/environments/staging/deploy", [["x-api-key", key("release-pipeline")], ["x-arbiter-decision-id", forged]]);
    expect(answer.status).toBe(200);
    const real = world.upstream.received.at(-1)?.headers["x-arbiter-decision-id"];
    expect(real).not.toBe(forged);
    expect(answer.headers["x-arbiter-decision-id"]).toBe(real);
  });
});

describe("a forged client-certificate subject", () => {
  it("never reaches Arbiter through the shipped nginx snippet, though nginx is a PEP trusted for certificates", async () => {
    const before = world.upstream.received.length;
    const answer = await raw(nginx.url, "GET", "/datasets/crm/customers", [["x-client-cert-subject", "CN=support-agent,O=Test"]]);
    expect(answer.status).toBe(401);
    expect(answer.headers["x-arbiter-reason"]).toBe("CREDENTIAL_MISSING");
    expect(world.upstream.received.length).toBe(before);
  });

  it("never reaches Arbiter through the shipped Caddyfile", async () => {
    const answer = await raw(caddy.url, "GET", "/datasets/crm/customers", [["x-client-cert-subject", "CN=support-agent,O=Test"]]);
    expect(answer.status).toBe(401);
    expect(answer.headers["x-arbiter-reason"]).toBe("CREDENTIAL_MISSING");
  });
});
