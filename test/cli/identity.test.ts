// End to end through the real CLI: identities, owners, keys, rotation, tokens, lifecycle, and what the ledger holds.
import { join } from "node:path";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdentityDirectory } from "../../src/identity/index.js";
import { openLedger } from "../../src/ledger/index.js";
import { arbiter, tempDir } from "../support/cli.js";

const data = join(tempDir(), "data");
const env = { ARBITER_ACTOR: "root-operator" };

function run(args: string[]) {
  return arbiter([...args, "--data", data], { env });
}

function json<T>(args: string[]): T {
  const result = run([...args, "--json"]);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Authenticates in-process against the same data directory, as the server would. */
async function authenticate(credential: string) {
  const { ledger, store, config } = openLedger(data, { checkpointIntervalMs: 0 });
  try {
    return await new IdentityDirectory({ identities: store.identities, ledger, dataDir: data, issuer: config.origin }).authenticate(credential);
  } finally {
    await ledger.close();
  }
}

const issuedKeys: string[] = [];

beforeAll(() => {
  expect(run(["init"]).status).toBe(0);
});

afterAll(() => {
  // Whatever happened above, no key may have reached a leaf.
  const tail = run(["log", "tail", "-n", "1000", "--json"]).stdout;
  for (const key of issuedKeys) expect(tail).not.toContain(key.slice(21));
});

describe("arbiter identity", () => {
  it("refuses a non-human identity without an owner, saying what to do", () => {
    const result = run(["identity", "create", "--id", "bot", "--type", "agent"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^arbiter: a agent identity needs an accountable human owner: .*active human identity.* \[OWNER_REQUIRED\]\n$/);
  });

  it("creates a human and an owned agent with groups, roles and attributes", () => {
    expect(json<{ id: string }>(["identity", "create", "--id", "alice", "--type", "human", "--role", "admin", "--name", "Alice"])).toMatchObject({ id: "alice", roles: ["admin"], display_name: "Alice" });
    const bot = json<Record<string, unknown>>(["identity", "create", "--id", "bot", "--type", "agent", "--owner", "alice", "--group", "ops", "--group", "eu", "--attr", "team=payments", "--actor", "alice"]);
    expect(bot).toMatchObject({ id: "bot", type: "agent", owner: "alice", status: "active", groups: ["ops", "eu"], attributes: { team: "payments" } });
    const text = run(["identity", "show", "bot"]).stdout;
    expect(text).toContain("owner:       alice\n");
    expect(text).toContain("groups:      ops, eu\n");
    expect(run(["identity", "list"]).stdout.split("\n").filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(["alice", "bot"]);
    expect(json<unknown[]>(["identity", "list", "--type", "agent", "--owner", "alice"])).toHaveLength(1);
  });

  it("prints an API key once with a warning, and shows only its id afterwards", async () => {
    const result = run(["identity", "key", "bot"]);
    expect(result.status).toBe(0);
    const key = result.stdout.trim();
    issuedKeys.push(key);
    expect(key).toMatch(/^arb_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(result.stderr).toContain("shown once");
    const shown = run(["identity", "show", "bot", "--json"]).stdout;
    expect(shown).not.toContain(key.slice(21));
    expect(JSON.parse(shown)).toMatchObject({ credentials: [{ id: `key_${key.slice(4, 20)}`, kind: "api_key", status: "active" }] });
    expect(await authenticate(key)).toMatchObject({ ok: true, auth: { identity: { id: "bot" } } });
  });

  it("rotates with a grace period: both keys work until it ends", async () => {
    const old = issuedKeys[0] as string;
    const rotated = json<{ key: string; credential: { id: string }; replaced: { id: string; status: string; expires_at: string }[] }>(["identity", "rotate", "bot", "--grace", "10m"]);
    issuedKeys.push(rotated.key);
    expect(rotated.replaced).toMatchObject([{ id: `key_${old.slice(4, 20)}`, status: "rotated" }]);
    expect(await authenticate(old)).toMatchObject({ ok: true });
    expect(await authenticate(rotated.key)).toMatchObject({ ok: true });
    const immediate = json<{ key: string }>(["identity", "rotate", "bot"]);
    issuedKeys.push(immediate.key);
    expect(await authenticate(rotated.key)).toMatchObject({ ok: false, reason: "CREDENTIAL_ROTATED" });
  });

  it("issues tokens with a TTL, delegation and intent", async () => {
    const issued = json<{ token: string; claims: Record<string, unknown>; credential: { id: string } }>(["token", "issue", "--identity", "bot", "--ttl", "5m", "--act-for", "alice", "--intent", "pay invoices"]);
    expect(issued.claims).toMatchObject({ sub: "alice", act: { sub: "bot" }, aud: "arbiter", jti: issued.credential.id, intent: "pay invoices" });
    expect((issued.claims.exp as number) - (issued.claims.iat as number)).toBe(300);
    expect(await authenticate(issued.token)).toMatchObject({ ok: true, auth: { identity: { id: "bot" }, delegation: [{ id: "alice", type: "human" }] } });
    const plain = run(["token", "issue", "--identity", "bot"]);
    expect(decodeJwt(plain.stdout.trim())).toMatchObject({ sub: "bot" });
    expect(run(["token", "issue", "--identity", "bot", "--ttl", "soon"]).status).toBe(2);

    expect(json<{ status: string }>(["identity", "revoke-credential", issued.credential.id, "--reason", "done"]).status).toBe("revoked");
    expect(await authenticate(issued.token)).toMatchObject({ ok: false, reason: "CREDENTIAL_REVOKED" });
    const jwks = json<{ keys: { kid: string }[] }>(["token", "jwks"]);
    expect(JSON.parse(Buffer.from(plain.stdout.split(".")[0] ?? "", "base64url").toString())).toMatchObject({ kid: jwks.keys[0]?.kid });
  });

  it("suspends and reactivates, refusing transitions the state does not allow", async () => {
    const key = issuedKeys.at(-1) as string;
    expect(json<{ status: string }>(["identity", "suspend", "bot", "--reason", "investigating"]).status).toBe("suspended");
    expect(await authenticate(key)).toMatchObject({ ok: false, reason: "IDENTITY_SUSPENDED" });
    const again = run(["identity", "suspend", "bot"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("[CONFLICT]");
    expect(json<{ status: string }>(["identity", "reactivate", "bot"]).status).toBe("active");
    expect(await authenticate(key)).toMatchObject({ ok: true });
  });

  it("refuses to offboard an owner until ownership moves, then offboards", () => {
    const refused = run(["identity", "offboard", "alice"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("alice still owns 1 active or suspended identity (bot)");
    expect(refused.stderr).toContain("[CONFLICT]");
    json(["identity", "create", "--id", "bob", "--type", "human"]);
    expect(json<{ owner: string }>(["identity", "update", "bot", "--owner", "bob", "--reason", "team change"]).owner).toBe("bob");
    expect(json<{ status: string }>(["identity", "offboard", "alice"]).status).toBe("offboarded");
  });

  it("records each change with its actor ($ARBITER_ACTOR by default, or --actor) and how it was determined", () => {
    const lines = run(["log", "tail", "-n", "100", "--json"]).stdout.trim().split("\n");
    const records = lines.map((l) => (JSON.parse(l) as { record: Record<string, unknown> }).record).filter((r) => r.kind === "lifecycle");
    const events = records.map((r) => `${(r.identity as { id: string }).id}:${r.event as string}`);
    expect(events).toEqual([
      "alice:created",
      "bot:created",
      "bot:credential_issued",
      "bot:rotated",
      "bot:rotated",
      "bot:credential_issued",
      "bot:credential_issued",
      "bot:revoked",
      "bot:suspended",
      "bot:reactivated",
      "bob:created",
      "bot:owner_changed",
      "alice:offboarded",
    ]);
    expect(records[0]?.actor).toEqual({ id: "root-operator", type: "human" });
    expect(records[0]?.caller).toEqual({ id: "root-operator", type: "human", determined_by: "actor_env" });
    expect(records[1]?.actor).toEqual({ id: "alice", type: "human" });
    expect(records[11]).toMatchObject({ note: "team change", identity: { owner: "bob" } });
  });
});
