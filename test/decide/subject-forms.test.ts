// Both ways a PEP names the caller — its own credential, or `subject.id` the PEP asserts — pass the same
// lifecycle checks: one table, every state × both forms, each with the exact outcome, reason and record.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Decision, DecisionRequest } from "../../src/decide/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { DEMO_POLICIES } from "../../src/runtime/demo.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";

const SEEDER = { id: "test-seeder", type: "human" as const };

let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
/** Per state: the credential its agent presents. */
const credentials: Record<string, string> = {};

/**
 * Each state has an agent of its own, put into that state through the directory (never by writing rows):
 * the asserted form carries no credential, so credential states leave it as an active identity would be.
 */
const STATES: { state: string; credential: string; asserted: string }[] = [
  { state: "active", credential: "POLICY_PERMIT", asserted: "POLICY_PERMIT" },
  { state: "owner suspended", credential: "POLICY_PERMIT", asserted: "POLICY_PERMIT" },
  { state: "suspended", credential: "IDENTITY_SUSPENDED", asserted: "IDENTITY_SUSPENDED" },
  { state: "revoked", credential: "IDENTITY_REVOKED", asserted: "IDENTITY_REVOKED" },
  { state: "offboarded", credential: "IDENTITY_OFFBOARDED", asserted: "IDENTITY_OFFBOARDED" },
  { state: "owner gone", credential: "NO_OWNER", asserted: "NO_OWNER" },
  { state: "credential expired", credential: "CREDENTIAL_EXPIRED", asserted: "POLICY_PERMIT" },
  { state: "credential rotated", credential: "CREDENTIAL_ROTATED", asserted: "POLICY_PERMIT" },
  { state: "credential revoked", credential: "CREDENTIAL_REVOKED", asserted: "POLICY_PERMIT" },
];

const idOf = (state: string): string => `agent-${state.replace(/ /g, "-")}`;

beforeAll(async () => {
  const dir = join(tempDir("arbiter-subject-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/subject" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  const ids = runtime.identities;
  await ids.create({ id: "olivia", type: "human" }, SEEDER);
  await ids.create({ id: "otto", type: "human" }, SEEDER);
  await ids.create({ id: "sam", type: "human" }, SEEDER);
  await runtime.policies.activate(loadPolicyDir(DEMO_POLICIES), SEEDER);
  for (const { state } of STATES) {
    const id = idOf(state);
    const owner = state === "owner gone" ? "otto" : state === "owner suspended" ? "sam" : "olivia";
    await ids.create({ id, type: "agent", owner }, SEEDER);
    if (state === "credential expired") {
      credentials[state] = (await ids.issueToken(id, { ttlSeconds: 60 }, SEEDER)).token;
    } else {
      credentials[state] = (await ids.issueApiKey(id, SEEDER)).key;
    }
  }
  await ids.suspend(idOf("suspended"), SEEDER);
  await ids.revoke(idOf("revoked"), SEEDER);
  await ids.offboard(idOf("offboarded"), SEEDER);
  await ids.revoke("otto", SEEDER);
  await ids.suspend("sam", SEEDER);
  await ids.rotateApiKey(idOf("credential rotated"), SEEDER);
  const revoked = ids.credentials(idOf("credential revoked"))[0];
  await ids.revokeCredential(revoked?.id ?? "", SEEDER);
  // Past the token's 60 s and the 30 s leeway.
  clock.advance(120);
  return async () => runtime.close();
});

function readFile(subject: DecisionRequest["subject"]): DecisionRequest {
  return { subject, action: "read_file", resource: { type: "Tool", id: "filesystem/read_file", attributes: { server: "filesystem" } }, args: { path: "/workspace/notes.md" } };
}

function recorded(decision: Decision): Record<string, unknown> {
  return JSON.parse(runtime.ledger.entry(decision.ledger.index).toString("utf8")) as Record<string, unknown>;
}

describe("one subject resolver for both forms", () => {
  for (const row of STATES) {
    it(`${row.state}: credential → ${row.credential}, asserted id → ${row.asserted}`, async () => {
      const id = idOf(row.state);
      for (const [form, subject, reason] of [
        ["credential", { credential: credentials[row.state] as string }, row.credential],
        ["asserted", { id }, row.asserted],
      ] as const) {
        const decision = await runtime.engine.decide(readFile(subject), TEST_CALLER);
        const outcome = reason === "POLICY_PERMIT" ? "allow" : "deny";
        expect({ form, outcome: decision.outcome, reason: decision.reason_code }).toEqual({ form, outcome, reason });
        if (outcome === "deny") expect(decision.control).toBe("lifecycle");
        const record = recorded(decision);
        expect(record).toMatchObject({ kind: "decision", outcome, reason_code: reason, subject: { id, type: "agent" } });
      }
    });
  }

  it("an unknown identity is a recorded deny in both forms: CREDENTIAL_INVALID for a key never issued, UNKNOWN_PRINCIPAL for an id", async () => {
    const forged = await runtime.engine.decide(readFile({ credential: `arb_0123456789abcdef_${"A".repeat(43)}` }), TEST_CALLER);
    expect(forged).toMatchObject({ outcome: "deny", reason_code: "CREDENTIAL_INVALID" });
    const unknown = await runtime.engine.decide(readFile({ id: "nobody-at-all" }), TEST_CALLER);
    expect(unknown).toMatchObject({ outcome: "deny", control: "access", reason_code: "UNKNOWN_PRINCIPAL", subject: { id: "nobody-at-all", type: "unknown" } });
    expect(recorded(unknown)).toMatchObject({ kind: "decision", reason_code: "UNKNOWN_PRINCIPAL", subject: { id: "nobody-at-all", type: "unknown" } });
  });
});
