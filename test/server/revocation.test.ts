// Revocation is immediate: an operator credential revoked or suspended through this server, or by another
// process on the same data directory (the real CLI), is refused on the very next request.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/decide/index.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";
import { ROOT, arbiter } from "../support/cli.js";
import { call, expectRecorded, startTestServer, type TestServer } from "../support/server.js";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

/** A new admin with an API key, made through the API by carol. */
async function newAdmin(id: string): Promise<{ key: string; credentialId: string; headers: Record<string, string> }> {
  expect((await call(server, "POST", "/v1/identities", server.as.admin, { id, type: "human", roles: ["admin"] })).status).toBe(201);
  const issued = await call<{ key: string; credential: { id: string } }>(server, "POST", `/v1/identities/${id}/keys`, server.as.admin, {});
  expect(issued.status).toBe(201);
  return { key: issued.body.key, credentialId: issued.body.credential.id, headers: { authorization: `Bearer ${issued.body.key}`, "content-type": "application/json" } };
}

/** What an attacker with a stolen admin key would try first. */
const listIdentities = (headers: Record<string, string>) => call(server, "GET", "/v1/identities", headers);

describe("operator credentials stop working at once", () => {
  it("a key revoked through the server is refused on the next request (it kept working for up to a second)", async () => {
    const mallory = await newAdmin("mallory");
    expect((await listIdentities(mallory.headers)).status).toBe(200);
    expect((await call(server, "POST", `/v1/credentials/${mallory.credentialId}/revoke`, server.as.admin, { reason: "leaked" })).status).toBe(200);
    const refused = await listIdentities(mallory.headers);
    expect(refused).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED", reason_code: "CREDENTIAL_REVOKED" } });
    // Nor can it create the new admin it would need to stay in.
    const create = await call(server, "POST", "/v1/identities", mallory.headers, { id: "mallory-2", type: "human", roles: ["admin"] });
    expect(create.status).toBe(401);
  });

  it("an identity suspended through the server is refused on the next request", async () => {
    const trent = await newAdmin("trent");
    expect((await listIdentities(trent.headers)).status).toBe(200);
    expect((await call(server, "POST", "/v1/identities/trent/suspend", server.as.admin, { reason: "investigation" })).status).toBe(200);
    expect(await listIdentities(trent.headers)).toMatchObject({ status: 401, body: { reason_code: "IDENTITY_SUSPENDED" } });
  });

  it("a suspension by another process (the CLI on the same data directory) is refused on the next request after it committed", async () => {
    const victor = await newAdmin("victor");
    expect((await listIdentities(victor.headers)).status).toBe(200);
    const cli = arbiter(["identity", "suspend", "victor", "--data", server.dir, "--actor", "carol", "--reason", "key found on a pastebin"]);
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);
    expect(await listIdentities(victor.headers)).toMatchObject({ status: 401, body: { reason_code: "IDENTITY_SUSPENDED" } });
    // Reactivated by another process: accepted again, just as promptly.
    expect(arbiter(["identity", "reactivate", "victor", "--data", server.dir, "--actor", "carol"]).status).toBe(0);
    expect((await listIdentities(victor.headers)).status).toBe(200);
  });

  it("a revocation by another process that was already running is refused on the very next request, with no second of grace", async () => {
    const ursula = await newAdmin("ursula");
    // A second real process on the same data directory, opened before the credential is used, so that
    // the revocation lands right after a request the server answered (and would have remembered).
    const runtimeUrl = pathToFileURL(join(ROOT, "dist", "runtime", "index.js")).href;
    const script = `
      const { openRuntime } = await import(${JSON.stringify(runtimeUrl)});
      const runtime = openRuntime(process.env.DIR, { checkpointIntervalMs: 0 });
      process.stdout.write("ready\\n");
      process.stdin.once("data", async () => {
        await runtime.identities.revokeCredential(process.env.CREDENTIAL, { id: "carol", type: "human" }, "found in a public repository");
        await runtime.close();
        process.stdout.write("done\\n");
      });`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, DIR: server.dir, CREDENTIAL: ursula.credentialId }, stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect((await lines.next()).value).toBe("ready");
    expect((await listIdentities(ursula.headers)).status).toBe(200);
    child.stdin.write("go\n");
    expect((await lines.next()).value).toBe("done");
    expect(await listIdentities(ursula.headers)).toMatchObject({ status: 401, body: { reason_code: "CREDENTIAL_REVOKED" } });
    child.stdin.end();
    if (child.exitCode === null) await once(child, "exit");
  });

  it("an operator whose role was taken away by another process loses it on the next request", async () => {
    const wendy = await newAdmin("wendy");
    expect((await listIdentities(wendy.headers)).status).toBe(200);
    expect(arbiter(["identity", "update", "wendy", "--role", "auditor", "--data", server.dir, "--actor", "carol"]).status).toBe(0);
    expect(await call(server, "POST", "/v1/identities", wendy.headers, { id: "wendy-2", type: "human" })).toMatchObject({ status: 403 });
  });
});

describe("a policy set activated by another process", () => {
  it("decides the very next decision, and its record names the new set (the real CLI beside the running server)", async () => {
    const read = { subject: { credential: server.keys["research-agent"] }, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem", sensitivity: "internal" } }, args: { path: "/workspace/drafts/plan.md" } };
    const decide = async (): Promise<Decision> => (await call<Decision>(server, "POST", "/v1/decisions", server.as.pep, read)).body;
    const before = await decide();
    expect(before).toMatchObject({ outcome: "allow" });
    const drafts = policyDir({ "drafts.cedar": '@id("no-drafts")\n@note("Drafts are off limits.")\nforbid (principal, action == Action::"read_file", resource)\nwhen { context.paths.path.normal like "/workspace/drafts/*" };\n' }, EXAMPLES);
    const activated = arbiter(["policy", "activate", drafts, "--data", server.dir, "--actor", "carol", "--json"]);
    expect(activated.status, activated.stderr).toBe(0);
    const to = (JSON.parse(activated.stdout) as { to: string }).to;
    expect(to).not.toBe(before.policy.set_version);
    const after = await decide();
    expect(after).toMatchObject({ outcome: "deny", policy: { set_version: to, determining: ["no-drafts"] } });
    expect(await expectRecorded(server, after)).toMatchObject({ policy: { set_version: to } });
  });
});
