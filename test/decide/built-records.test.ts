// The engine's decision records skip the schema parse in production (record/prepare.ts, prepareBuilt).
// That is safe only if every record the engine can build from a request the request schema accepts
// passes the record schema unchanged: these properties drive arbitrary requests through the engine
// with the check on (vitest.config.ts) and read every record back through the stored-record schema.
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionLog, RecentDecisions, decisionRequestSchema, refusalRequestSchema } from "../../src/decide/index.js";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { ArbiterError, canonicalize, storedRecordSchema, type RecordInput } from "../../src/record/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";

let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
const seeder = { id: "test-seeder", type: "human" as const };

beforeAll(async () => {
  const dir = join(tempDir("arbiter-built-records-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(policyDir({}, EXAMPLES)), seeder);
});

afterAll(async () => {
  await runtime.close();
});

const text = (max: number) => fc.string({ unit: "grapheme", minLength: 1, maxLength: max });
const hex = (length: number) => fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: length, maxLength: length });
const known = fc.constantFrom(...PEOPLE_AND_MACHINES.map((p) => p.id));

const subject = fc.oneof(
  fc.record({ id: fc.oneof(known, text(128)) }, { requiredKeys: ["id"] }),
  fc.record({ id: known, authenticated_at: fc.constant("2026-11-24T09:59:00+01:00"), acr: text(128) }, { requiredKeys: ["id"] }),
  fc.record({ credential: text(200) }),
);
const pep = fc.record({ id: text(64), kind: fc.constantFrom<"mcp" | "http" | "api" | "cli" | "external">("mcp", "http", "api", "cli", "external") });
const correlation = fc.record({ trace_id: hex(32), span_id: hex(16), task_id: text(64) }, { requiredKeys: [] });
const observed = fc.dictionary(text(20), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const resource = fc.record(
  {
    type: fc.constantFrom("Environment", "Secret", "File", "Tool"),
    id: text(1024),
    attributes: fc.dictionary(fc.constantFrom("tier", "environment", "sensitivity", "classification", "owner"), fc.oneof(text(40), fc.constantFrom("production", "restricted", "public")), { maxKeys: 3 }),
  },
  { requiredKeys: ["type", "id"] },
);

const decisionRequest = fc.record(
  {
    subject,
    action: fc.oneof(fc.constantFrom("deploy", "rotate_secret", "read_file", "write_file"), text(256)),
    resource,
    args: fc.jsonValue({ maxDepth: 3 }),
    intent: text(200),
    pep,
    correlation,
    confirmation: fc.constant({ method: "elicitation" as const, confirmed_at: "2026-11-24T09:59:30Z" }),
    observed,
  },
  { requiredKeys: ["subject", "action", "resource"] },
);

const refusalRequest = fc.record(
  {
    subject,
    label: text(128),
    action: text(256),
    resource: fc.record({ type: text(256), id: text(1024) }),
    reason_code: fc.constantFrom(...refusalRequestSchema.shape.reason_code.options),
    note: text(2048),
    pep,
    correlation,
    observed,
  },
  { requiredKeys: ["action", "resource", "reason_code", "note", "pep"] },
);

/** The decision's record as stored, parsed by the schema every reader uses; it must come back unchanged. */
function expectStoredUnchanged(decisionId: string): void {
  const stored = runtime.decisions.find(decisionId).record;
  const parsed = storedRecordSchema.safeParse(stored);
  expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  expect(canonicalize(parsed.data)).toBe(canonicalize(stored));
}

/** A request may be refused before a record is built (an action policy does not know); never for the record's own shape. */
function expectNotARecordProblem(err: unknown): void {
  expect(err).toBeInstanceOf(ArbiterError);
  expect((err as ArbiterError).code).not.toBe("INVALID_RECORD");
  expect((err as ArbiterError).code).not.toBe("INVALID_JSON");
}

describe("records the engine builds skip the schema parse only where it could not refuse them", () => {
  it("parses built records in the tests, and refuses one the schema refuses", async () => {
    expect(process.env.ARBITER_CHECK_RECORDS).toBe("1");
    const malformed = { kind: "decision", subject: { id: "x", type: "robot" } } as unknown as RecordInput;
    await expect(runtime.ledger.appendBuilt(malformed)).rejects.toMatchObject({ code: "INVALID_RECORD" });
  });

  it("every decision from a request the request schema accepts is a record the schema accepts unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(decisionRequest, async (candidate) => {
        const checked = decisionRequestSchema.safeParse(candidate);
        fc.pre(checked.success);
        try {
          const decision = await runtime.engine.decide(checked.data, TEST_CALLER);
          expectStoredUnchanged(decision.decision_id);
        } catch (err) {
          expectNotARecordProblem(err);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("answers what it recorded: every field the answer shares with the record holds the record's value", async () => {
    const asks = [
      { subject: { id: "support-agent" }, action: "query_customers", resource: { type: "Dataset", id: "crm", attributes: { classification: "internal" } } },
      { subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "production", attributes: { tier: "production" } } },
      { subject: { id: "nobody-at-all" }, action: "deploy", resource: { type: "Environment", id: "staging", attributes: { tier: "staging" } } },
    ];
    for (const ask of asks) {
      const answer = await runtime.engine.decide(decisionRequestSchema.parse(ask), TEST_CALLER);
      const found = runtime.decisions.find(answer.decision_id);
      const record = found.record as Record<string, unknown> & { subject: Record<string, unknown>; resource: Record<string, unknown>; policy: Record<string, unknown> };
      expect(answer.ledger.index).toBe(found.index);
      expect(answer).toMatchObject({
        time: record.time,
        outcome: record.outcome,
        control: record.control,
        reason_code: record.reason_code,
        note: record.note,
        subject: { id: record.subject.id, type: record.subject.type },
        action: record.action,
        resource: { type: record.resource.type, id: record.resource.id },
        policy: { set_version: record.policy.set_version, determining: record.policy.determining },
        obligations: record.obligations ?? [],
        args_digest: record.args_digest ?? "",
      });
      const asked = record.approval_request as { request_id: string; expires_at: string } | undefined;
      expect(answer.approval_request && { id: answer.approval_request.id, expires_at: answer.approval_request.expires_at }).toEqual(asked && { id: asked.request_id, expires_at: asked.expires_at });
    }
  });

  it("every refusal a PEP may report is a record the schema accepts unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(refusalRequest, async (candidate) => {
        const checked = refusalRequestSchema.safeParse(candidate);
        fc.pre(checked.success);
        const decision = await runtime.engine.refuse(checked.data, TEST_CALLER);
        expectStoredUnchanged(decision.decision_id);
      }),
      { numRuns: 150 },
    );
  });

  it("every enforcement report a PEP in this process can make is a record the schema accepts unchanged", async () => {
    const decision = await runtime.engine.decide({ subject: { id: "release-pipeline" }, action: "deploy", resource: { type: "Environment", id: "staging", attributes: { tier: "staging" } } }, TEST_CALLER);
    const report = fc.record(
      {
        status: fc.constantFrom<"executed" | "blocked" | "failed" | "held">("executed", "blocked", "failed", "held"),
        pep,
        upstream: fc.record({ status: fc.oneof(fc.integer(), fc.double()), error: fc.string({ maxLength: 300 }), bytes: fc.oneof(fc.nat(), fc.integer({ max: -1 }), fc.double()) }, { requiredKeys: [] }),
        masked: fc.record({ fields: fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), detectors: fc.dictionary(fc.constantFrom("email", "payment_card", "aws_access_key", "jwt"), fc.nat({ max: 50 })) }),
        duration_ms: fc.oneof(fc.double(), fc.constant(Number.NaN), fc.constant(-1)),
      },
      { requiredKeys: ["status", "pep"] },
    );
    await fc.assert(
      fc.asyncProperty(report, async (candidate) => {
        const appended = await runtime.decisions.report(decision.decision_id, candidate, TEST_CALLER, { built: true });
        const stored = JSON.parse(runtime.ledger.entry(appended.index).toString("utf8")) as unknown;
        const parsed = storedRecordSchema.safeParse(stored);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("an enforcement record built from the decision in hand (RecentDecisions) is the one built from the decision read back", async () => {
    // Secrets where a PEP could put them: the ledger redacts them in both records, with the same markers.
    const secret = fc.constantFrom("production?token=ghp_0123456789abcdefghijABCDEFGHIJ012345", "mailto:dana.ops@example.com", "card 4111 1111 1111 1111", "AKIAIOSFODNN7EXAMPLE");
    const reread = new DecisionLog(runtime.ledger, runtime.policies);
    const report = { status: "executed" as const, pep: { id: "arbiter-proxy", kind: "http" as const }, upstream: { status: 200, bytes: 12 }, duration_ms: 1.5 };
    const comparable = (index: number): unknown => {
      const { id: _id, time: _time, ...rest } = JSON.parse(runtime.ledger.entry(index).toString("utf8")) as Record<string, unknown>;
      return rest;
    };
    await fc.assert(
      fc.asyncProperty(decisionRequest, secret, fc.boolean(), async (candidate, planted, inId) => {
        const request = inId ? { ...candidate, resource: { ...candidate.resource, id: `${candidate.resource.id.slice(0, 900)} ${planted}` } } : { ...candidate, correlation: { ...candidate.correlation, task_id: planted } };
        const checked = decisionRequestSchema.safeParse(request);
        fc.pre(checked.success);
        let decisionId: string;
        try {
          decisionId = (await runtime.engine.decide(checked.data, TEST_CALLER)).decision_id;
        } catch (err) {
          expectNotARecordProblem(err);
          return;
        }
        const inHand = await runtime.decisions.report(decisionId, report, TEST_CALLER, { built: true });
        const readBack = await reread.report(decisionId, report, TEST_CALLER, { built: true });
        expect(comparable(inHand.index)).toEqual(comparable(readBack.index));
        expect(runtime.ledger.entry(inHand.index).toString("utf8")).not.toContain(planted);
      }),
      { numRuns: 150 },
    );
  });

  it("keeps the last decisions only, the oldest forgotten first", () => {
    const recent = new RecentDecisions(2);
    const facts = (id: string) => ({ subject: { id, type: "agent" as const }, action: "read", resource: { type: "Doc", id } });
    recent.remember("d1", facts("a"));
    recent.remember("d2", facts("b"));
    recent.remember("d3", facts("c"));
    expect(recent.get("d1")).toBeUndefined();
    expect(recent.get("d2")?.resource.id).toBe("b");
    expect(recent.get("d3")?.subject.id).toBe("c");
  });
});
