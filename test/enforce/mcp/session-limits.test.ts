// /mcp/NAME sessions: one identity holds at most mcp.max_sessions_per_identity of them (429, recorded), so it cannot lock other agents out; idle sessions close.
import { beforeAll, describe, expect, it } from "vitest";
import { addUpstream } from "../../../src/enforce/mcp/index.js";
import { FLAKY_SERVER, startWorld, type World } from "./world.js";

const INIT = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } });
const PING = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" });

function post(world: World, credential: string, body: string, session?: string): Promise<Response> {
  const headers: Record<string, string> = { accept: "application/json, text/event-stream", "content-type": "application/json", authorization: `Bearer ${credential}` };
  if (session !== undefined) Object.assign(headers, { "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" });
  return fetch(`${world.url}/mcp/flaky`, { method: "POST", headers, body });
}

/** Opens a session; its id, or the refusal. */
async function open(world: World, credential: string): Promise<{ status: number; session: string | null; body: Record<string, unknown> | undefined; contentType: string | null }> {
  const response = await post(world, credential, INIT);
  const session = response.headers.get("mcp-session-id");
  const contentType = response.headers.get("content-type");
  const body = contentType?.includes("problem+json") ? ((await response.json()) as Record<string, unknown>) : (await response.body?.cancel(), undefined);
  return { status: response.status, session, body, contentType };
}

async function close(world: World, credential: string, session: string): Promise<number> {
  const response = await fetch(`${world.url}/mcp/flaky`, { method: "DELETE", headers: { authorization: `Bearer ${credential}`, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" } });
  await response.body?.cancel();
  return response.status;
}

describe("sessions per identity", () => {
  let world: World;
  let second: string;

  beforeAll(async () => {
    world = await startWorld("mcp:\n  max_sessions_per_identity: 2\n");
    addUpstream(world.dir, "flaky", { command: process.execPath, args: [FLAKY_SERVER] });
    second = (await world.runtime.identities.issueApiKey("coder", { id: "test-seeder", type: "human" })).key;
  });

  it("refuses one identity's session past its limit with 429 and a record, whichever of its credentials asks, while another identity still gets one", async () => {
    const coder = world.keys.coder as string;
    const first = await open(world, coder);
    const other = await open(world, second);
    expect([first.status, other.status]).toEqual([200, 200]);

    for (const credential of [coder, second]) {
      const refused = await open(world, credential);
      expect(refused).toMatchObject({ status: 429, session: null, contentType: "application/problem+json" });
      expect(refused.body).toMatchObject({
        type: "/problems/MCP_SESSION_LIMIT",
        status: 429,
        code: "MCP_SESSION_LIMIT",
        reason_code: "SESSION_LIMIT",
        detail: "coder already holds 2 MCP sessions, the most one identity may hold at once (mcp.max_sessions_per_identity); close one (DELETE /mcp/flaky with its mcp-session-id) or let it idle out",
      });
      const { record } = world.runtime.decisions.find(refused.body?.decision_id as string);
      expect(record).toMatchObject({ outcome: "deny", reason_code: "SESSION_LIMIT", control: "rate_limit", subject: { id: "coder" }, action: "open_session", resource: { type: "McpServer", id: "flaky" }, pep: { id: "mcp-http:flaky", kind: "mcp" } });
    }
    expect(world.runtime.decisions.list({ reason: "SESSION_LIMIT", subject: "coder" })).toHaveLength(2);

    // The sessions held still work, and another agent is not locked out.
    expect((await post(world, coder, PING, first.session as string)).status).toBe(200);
    const intern = await open(world, world.keys["intern-agent"] as string);
    expect(intern.status).toBe(200);

    // A closed session frees its place.
    expect(await close(world, coder, first.session as string)).toBe(200);
    expect((await open(world, coder)).status).toBe(200);
    expect((await open(world, coder)).status).toBe(429);
  });

  it("counts sessions still starting: initialize requests sent at once get no more than the limit", async () => {
    const burst = await Promise.all(Array.from({ length: 6 }, () => open(world, world.keys.alice as string)));
    expect(burst.map((b) => b.status).sort()).toEqual([200, 200, 429, 429, 429, 429]);
    expect(world.runtime.decisions.list({ reason: "SESSION_LIMIT", subject: "alice" })).toHaveLength(4);
  });

  it("records nothing and holds no place for a credential it refuses", async () => {
    const before = world.runtime.ledger.size();
    for (let i = 0; i < 4; i++) expect((await open(world, "arb_0000000000000000_not-a-key-at-all")).status).toBe(401);
    expect(world.runtime.ledger.size()).toBe(before);
    expect((await open(world, world.keys.bob as string)).status).toBe(200);
  });
});

describe("idle sessions", () => {
  it("closes a session after mcp.idle_timeout without a request, and frees its place", async () => {
    const world = await startWorld("mcp:\n  max_sessions_per_identity: 1\n  idle_timeout: 1s\n");
    addUpstream(world.dir, "flaky", { command: process.execPath, args: [FLAKY_SERVER] });
    const coder = world.keys.coder as string;
    const { session } = await open(world, coder);
    expect((await open(world, coder)).status).toBe(429);
    // The sweeper runs every second. A ping would keep the session alive, so each wait before the
    // next one doubles, until the sweeper has closed the session (no wall-clock assertion).
    let status = 200;
    for (let wait = 1500; wait <= 48_000 && status === 200; wait *= 2) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const ping = await post(world, coder, PING, session as string);
      await ping.body?.cancel();
      status = ping.status;
    }
    expect(status).toBe(404);
    expect((await open(world, coder)).status).toBe(200);
  }, 120_000);
});
