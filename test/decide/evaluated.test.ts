// A decision record carries the inputs policy was evaluated on: attributes, context, intent, auth and
// trace id, with values the detectors or the schema's @sensitive mark kept only as commitments.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initDataDir } from "../support/data-dir.js";
import { loadPolicyDir } from "../../src/policy/index.js";
import { canonicalBytes, decodeRecord, verifyCommitment, type DecisionRecord } from "../../src/record/index.js";
import { openRuntime, type Runtime } from "../../src/runtime/index.js";
import { tempDir } from "../support/cli.js";
import { PEOPLE_AND_MACHINES, TEST_CALLER, TestClock, TUESDAY_10 } from "../support/server.js";
import { EXAMPLES, policyDir } from "../policy/policy-dirs.js";
import { TICKETS_POLICY, TICKETS_SCHEMA } from "./tickets.js";
import { restoreInputs } from "../../src/decide/evaluated.js";


let runtime: Runtime;
const clock = new TestClock(TUESDAY_10);
const seeder = { id: "test-seeder", type: "human" as const };
const SECRET = "AKIAIOSFODNN7EXAMPLE";

beforeAll(async () => {
  const dir = join(tempDir("arbiter-evaluated-"), "data");
  initDataDir(dir, { origin: "test.arbiter.example/ledger" });
  runtime = openRuntime(dir, { checkpointIntervalMs: 0, now: clock.now });
  for (const identity of PEOPLE_AND_MACHINES) await runtime.identities.create(identity, seeder);
  await runtime.policies.activate(loadPolicyDir(policyDir({ "schema.cedarschema": TICKETS_SCHEMA, "tickets.cedar": TICKETS_POLICY }, EXAMPLES)), seeder);
});

afterAll(async () => {
  await runtime.close();
});

function recordOf(id: string): { record: DecisionRecord; leaf: string } {
  const found = runtime.decisions.find(id);
  const leaf = runtime.ledger.entry(found.index).toString("utf8");
  return { record: decodeRecord(Buffer.from(leaf)) as DecisionRecord, leaf };
}

describe("the evaluated inputs of a decision", () => {
  it("records resource attributes, context, intent, auth and the trace id policy saw", async () => {
    const decision = await runtime.engine.decide({
      subject: { id: "support-agent" },
      action: "query_customers",
      resource: { type: "Dataset", id: "customers", attributes: { classification: "internal", owner_team: "crm" } },
      intent: "answer a refund question",
      correlation: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" },
    }, TEST_CALLER);
    expect(decision.outcome).toBe("allow");
    const { record } = recordOf(decision.decision_id);
    expect(record.evaluated).toEqual({
      principal: { status: "active" },
      resource: { attributes: { classification: "internal", owner_team: "crm" } },
      intent: "answer a refund question",
      auth: { method: "asserted", age_seconds: 2 ** 31 - 1, acr: "" },
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
  });

  it("keeps a detected secret and a schema-sensitive value out of the leaf, as commitments whose raw values are kept aside", async () => {
    const decision = await runtime.engine.decide({
      subject: { id: "support-agent" },
      action: "lookup_ticket",
      resource: { type: "Dataset", id: "tickets", attributes: { classification: "internal", comment: `rotated ${SECRET} yesterday` } },
      context: { ticket: "T-5512-customer-jane", queue: "billing" },
    }, TEST_CALLER);
    expect(decision.outcome).toBe("allow");
    const { record, leaf } = recordOf(decision.decision_id);
    expect(leaf).not.toContain(SECRET);
    expect(leaf).not.toContain("T-5512");
    expect(record.evaluated?.resource?.attributes).toEqual({ classification: "internal", comment: "[MASKED:secret]" });
    expect(record.evaluated?.context).toEqual({ ticket: "[MASKED:schema]", queue: "billing" });
    const commitments = record.commitments ?? {};
    const raw = new Map(runtime.ledger.reader.rawValuesOf(record.id).map((row) => [row.field, row]));
    for (const [field, value] of [["evaluated.resource.attributes.comment", `rotated ${SECRET} yesterday`], ["evaluated.context.ticket", "T-5512-customer-jane"]] as const) {
      const row = raw.get(field);
      expect(row, field).toBeDefined();
      expect(verifyCommitment(commitments[field] ?? "", row?.salt ?? "", value)).toBe(true);
    }
  });

  it("names a commitment by its position where its path is no field name, commits the free-form parts whole past the leaf's budget, and gets both back to replay", async () => {
    const raw = (id: string) => {
      const rows = new Map(runtime.ledger.reader.rawValuesOf(id).map((row) => [row.field, JSON.parse(row.value) as unknown]));
      return (field: string) => rows.get(field) as never;
    };
    const decide = (attributes: Record<string, string>) =>
      runtime.engine.decide({ subject: { id: "support-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search", attributes } }, TEST_CALLER);

    const odd = await decide({ "seen in": `rotated ${SECRET} yesterday` });
    const { record, leaf } = recordOf(odd.decision_id);
    expect(leaf).not.toContain(SECRET);
    const fields = Object.keys(record.commitments ?? {}).filter((f) => f.startsWith("evaluated."));
    expect(fields).toHaveLength(1);
    expect(fields[0]).toMatch(/^evaluated\.\$\d+$/);
    const restored = restoreInputs(record, raw(record.id));
    expect(restored).toMatchObject({ ok: true, input: { resource: { attributes: { "seen in": `rotated ${SECRET} yesterday` } } } });

    const padding = "p".repeat(20_000);
    const big = await decide({ sensitivity: "public", padding });
    const whole = recordOf(big.decision_id);
    expect(whole.leaf).not.toContain(padding);
    expect(whole.record.evaluated?.resource?.attributes).toBe("[MASKED:size]");
    expect(restoreInputs(whole.record, raw(whole.record.id))).toMatchObject({ ok: true, input: { resource: { attributes: { sensitivity: "public", padding } } } });
    // A marker that no commitment stands behind is not replayable, never replayed as no attributes.
    const { "evaluated.resource.attributes": _dropped, ...others } = whole.record.commitments ?? {};
    expect(restoreInputs({ ...whole.record, commitments: others }, raw(whole.record.id))).toEqual({ ok: false, missing: ["evaluated.resource.attributes"] });
  });

  it("records policy's own verdict when a rate limit changed the answer", async () => {
    let last;
    for (let i = 0; i < 6; i++) last = await runtime.engine.decide({ subject: { id: "research-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } }, TEST_CALLER);
    expect(last?.reason_code).toBe("RATE_LIMITED");
    const { record } = recordOf(last?.decision_id ?? "");
    expect(record.evaluated?.verdict).toEqual({ outcome: "allow", reason_code: "POLICY_PERMIT", determining: ["search-docs"] });
  });

  it("leaves refusals policy never saw without inputs, and a record written before them still decodes", async () => {
    const refused = await runtime.engine.decide({ subject: { id: "nobody-known" }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } }, TEST_CALLER);
    expect(recordOf(refused.decision_id).record.evaluated).toBeUndefined();
    const decided = await runtime.engine.decide({ subject: { id: "support-agent" }, action: "search_docs", resource: { type: "Tool", id: "docs/search" } }, TEST_CALLER);
    const { record } = recordOf(decided.decision_id);
    const { evaluated: _dropped, ...old } = record;
    expect(decodeRecord(canonicalBytes(old))).toMatchObject({ id: record.id });
  });
});
