// Secrets never land where erasure cannot reach: every way into the ledger redacts before the leaf is hashed,
// so neither the leaf, the search index nor the database and WAL bytes hold them, and the log still verifies.
import { describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/ledger/index.js";
import { prepareLinkRecord } from "../../src/linkage/link-leaf.js";
import { decodeRecord } from "../../src/record/index.js";
import { freshLedger } from "../support/ledger.js";
import { queryStore, storeContents } from "../support/store.js";

const AWS = "AKIAIOSFODNN7EXAMPLE";
const CARD = "4111111111111111";
const RESOURCE = `file:///reports/q3.pdf?token=${AWS}&card=${CARD}`;
const AWS_MARKER = /\[REDACTED:aws_access_key:[0-9a-f]{16}\]/;

function expectNowhere(dir: string, ...values: string[]): void {
  const bytes = storeContents(dir);
  for (const value of values) expect(bytes.includes(value), `${value} in the database files`).toBe(false);
}

function decisionInput(resource: string, task: string): Record<string, unknown> {
  return {
    kind: "decision",
    subject: { id: "billing-bot", type: "agent", owner: "alice@example.com" },
    action: "resources/read",
    resource: { id: resource, type: "Resource" },
    pep: { id: "mcp-gateway", kind: "mcp" },
    outcome: "allow",
    control: "access",
    reason_code: "POLICY_PERMIT",
    note: "Reports may be read.",
    policy: { set_version: `sha256:${"a".repeat(64)}`, determining: ["reports-read"] },
    correlation: { task_id: task },
  };
}

describe("the ledger redacts before it hashes", () => {
  it("keeps a resource id's token and card number out of the leaf, the index and the database files", async () => {
    const { ledger, dir } = freshLedger();
    const first = await ledger.append(decisionInput(RESOURCE, `close books, card ${CARD}`));
    const second = await ledger.append(decisionInput(RESOURCE, "another task"));
    const enforcement = await ledger.append({
      kind: "enforcement",
      decision_id: first.id,
      pep: { id: "mcp-gateway", kind: "mcp" },
      status: "failed",
      upstream: { status: -32000, error: `upstream said: bad token ${AWS}` },
    });

    const leaf = (index: number) => decodeRecord(ledger.entry(index)) as unknown as Record<string, Record<string, string>>;
    const stored = leaf(first.index).resource?.id ?? "";
    expect(stored).toMatch(/^file:\/\/\/reports\/q3\.pdf\?token=\[REDACTED:aws_access_key:[0-9a-f]{16}\]&card=\[REDACTED:payment_card:[0-9a-f]{16}\]$/);
    // Equal values, equal markers: the two decisions (and the enforcement's error) still correlate.
    expect(leaf(second.index).resource?.id).toBe(stored);
    const awsMarker = AWS_MARKER.exec(stored)?.[0] ?? "missing";
    expect(leaf(enforcement.index).upstream?.error).toBe(`upstream said: bad token ${awsMarker}`);
    expect(leaf(first.index).correlation?.task_id).toMatch(/^close books, card \[REDACTED:payment_card:[0-9a-f]{16}\]$/);
    expect(leaf(first.index).subject?.owner).toBe("alice@example.com");

    const rows = queryStore<{ resource_id: string; task_id: string | null }>(dir, "SELECT resource_id, task_id FROM record_index WHERE kind = 'decision' ORDER BY idx");
    expect(rows.map((r) => r.resource_id)).toEqual([stored, stored]);
    expectNowhere(dir, AWS, CARD);

    expect(verifyLedger(ledger.reader, ledger.verifier, ledger.origin, { indexes: true })).toMatchObject({ ok: true, entries: 3 });
    await ledger.close();
    expectNowhere(dir, AWS, CARD);
  });

  it("redacts records prepared outside it (linkage's link leaves) the same way", async () => {
    const { ledger, dir } = freshLedger();
    const direct = await ledger.append(decisionInput(RESOURCE, "t"));
    const prepared = prepareLinkRecord({
      id: "link-1",
      time: "2026-11-25T10:00:00.000Z",
      run_id: "run-1",
      source: { system: "access-log", file: `access.log?sig=${AWS}` },
      links: [{ line: 1, time: "2026-11-25T09:59:59.000Z", subject: "billing-bot", action: "GET", resource: RESOURCE, outcome: "executed", decision_id: direct.id, key: "subject_action_resource", confidence: 0.7 }],
    });
    expect(prepared.bytes.includes(AWS)).toBe(true);
    const appended = await ledger.appendPrepared(prepared);
    const link = decodeRecord(ledger.entry(appended.index)) as unknown as { links: { resource: string }[]; source: { file: string } };
    const decision = decodeRecord(ledger.entry(direct.index)) as unknown as { resource: { id: string } };
    expect(link.links[0]?.resource).toBe(decision.resource.id);
    expect(link.source.file).toMatch(/^access\.log\?sig=\[REDACTED:aws_access_key:[0-9a-f]{16}\]$/);
    expect(verifyLedger(ledger.reader, ledger.verifier, ledger.origin, { indexes: true }).ok).toBe(true);
    await ledger.close();
    expectNowhere(dir, AWS, CARD);
  });

  it("keys markers by the data directory: another installation's marker for the same value differs", async () => {
    const a = freshLedger();
    const b = freshLedger();
    const [ia, ib] = [await a.ledger.append(decisionInput(RESOURCE, "t")), await b.ledger.append(decisionInput(RESOURCE, "t"))];
    const resourceOf = (bytes: Buffer) => (decodeRecord(bytes) as unknown as { resource: { id: string } }).resource.id;
    expect(resourceOf(a.ledger.entry(ia.index))).not.toBe(resourceOf(b.ledger.entry(ib.index)));
    await a.ledger.close();
    await b.ledger.close();
  });
});
