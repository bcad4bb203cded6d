// Listings are sound: whatever some call could be allowed (at once, after an approval or a step-up) is visible; what none could be is hidden.
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { visibleTo } from "../../src/decide/index.js";
import { resourceCandidate, toolCandidate, toolRequest, type Caller } from "../../src/enforce/mcp/mapping.js";
import type { Identity } from "../../src/identity/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { TEST_CALLER } from "../support/server.js";
import { IDENTITIES, POLICIES } from "../enforce/mcp/world.js";

let runtime: Runtime;

beforeAll(async () => {
  const dir = join(tempDir("arbiter-visibility-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/visibility" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  const seeder = { id: "test-seeder", type: "human" as const };
  for (const identity of IDENTITIES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(POLICIES), seeder);
});

afterAll(() => runtime.close());

const caller = (server: string): Caller => ({ credential: "unused", server, pep: { id: "test", kind: "mcp" }, session: "test" });
const TOOLS = ["echo", "get-sum", "get-env", "get-tiny-image", "get-structured-content", "read_text_file", "write_file", "list_directory", "list_allowed_directories", "ok", "refused", "not-declared"];

const call = fc.record({
  who: fc.constantFrom("coder", "intern-agent"),
  tool: fc.constantFrom(...TOOLS),
  server: fc.constantFrom("everything", "filesystem"),
  path: fc.option(fc.oneof(fc.constantFrom("/srv/workspace/a.md", "/srv/workspace/protected/k", "/etc/passwd", "/workspace"), fc.string({ maxLength: 12 })), { nil: undefined }),
  a: fc.option(fc.integer({ min: -10, max: 5000 }), { nil: undefined }),
  intent: fc.constantFrom(undefined, "read-only audit", "refactor"),
  confirmed: fc.boolean(),
  fresh: fc.boolean(),
});

describe("visibility", () => {
  it("shows every tool some call of which policy allows, at once or after its approval (soundness)", async () => {
    let allowed = 0;
    let hidden = 0;
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const args = { ...(c.path !== undefined ? { path: c.path } : {}), ...(c.a !== undefined ? { a: c.a, b: 1 } : {}) };
        const tool = { name: c.tool, inputSchema: { type: "object" as const } };
        const request = toolRequest(caller(c.server), c.tool, args, tool, c.intent ? { "arbiter/intent": c.intent } : undefined, 1);
        const now = runtime.now().toISOString();
        const decide = () =>
          runtime.engine.decide({
            ...request,
            subject: { id: c.who, ...(c.fresh ? { authenticated_at: now } : {}) },
            ...(c.confirmed ? { confirmation: { method: "elicitation" as const, confirmed_at: now } } : {}),
          }, TEST_CALLER);
        let decision = await decide().catch(() => undefined);
        // A call held for approval is callable if it is allowed once an approver approves it.
        const pending = decision?.approval_request?.state === "pending" ? decision.approval_request.id : undefined;
        if (pending) {
          await runtime.engine.approvals.approve(pending, runtime.identities.get("bob") as Identity, "property test");
          decision = await decide();
        }
        const seen = await visibleTo(runtime, { id: c.who }, [toolCandidate(caller(c.server), tool)]);
        if (decision?.outcome === "allow") {
          allowed++;
          expect(seen.visible).toEqual([true]);
        }
        if (!seen.visible[0]) hidden++;
      }),
      { numRuns: 250 },
    );
    // Not vacuous: both kinds of answer happened.
    expect(allowed).toBeGreaterThan(25);
    expect(hidden).toBeGreaterThan(25);
  });

  it("hides what no call could be allowed, whatever its arguments, time or intent", async () => {
    const tools = TOOLS.map((name) => toolCandidate(caller("everything"), { name, inputSchema: { type: "object" } }));
    const names = async (who: string) => (await visibleTo(runtime, { id: who }, tools)).visible.flatMap((v, i) => (v ? [TOOLS[i]] : []));
    expect(await names("coder")).toEqual(["echo", "get-sum", "get-env", "get-tiny-image", "get-structured-content", "read_text_file", "write_file", "list_directory", "list_allowed_directories", "ok"]);
    expect(await names("intern-agent")).toEqual(["echo"]);
  });

  it("decides resources by URI, and a template by whether any resource of the kind could be read", async () => {
    const server = caller("everything");
    const candidates = [resourceCandidate(server, "demo://resource/static/document/architecture.md"), resourceCandidate(server, "demo://resource/static/document/startup.md"), resourceCandidate(server, undefined)];
    expect((await visibleTo(runtime, { id: "coder" }, candidates)).visible).toEqual([true, false, true]);
    expect((await visibleTo(runtime, { id: "intern-agent" }, candidates)).visible).toEqual([false, false, false]);
  });

  it("shows nothing to a refused credential, and says why", async () => {
    const seen = await visibleTo(runtime, { credential: "arb_0000000000000000_nope-nope-nope-nope" }, [toolCandidate(caller("everything"), { name: "echo", inputSchema: { type: "object" } })]);
    expect(seen).toMatchObject({ caller: { ok: false, reason: "CREDENTIAL_INVALID" }, visible: [false] });
  });
});
