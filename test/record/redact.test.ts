// Redaction before the leaf: which fields are read, what the marker is, and that planted secrets never survive.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FOUND_KINDS, decodeRecord, prepareRecord, redactRecord, redactText, redactionMarker } from "../../src/record/index.js";

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const AWS = "AKIAIOSFODNN7EXAMPLE";
const CARD = "4111111111111111";
const MARKER = /^\[REDACTED:[a-z_]+:[0-9a-f]{16}\]$/;

function decision(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "decision",
    subject: { id: "billing-bot", type: "agent", owner: "alice@example.com", credential: { id: "key-1", kind: "api_key" } },
    action: "resources/read",
    resource: { id: `file:///reports?token=${AWS}&card=${CARD}`, type: "Resource" },
    pep: { id: `gateway ${AWS}`, kind: "mcp" },
    outcome: "allow",
    control: "access",
    reason_code: "POLICY_PERMIT",
    note: "Reports may be read.",
    policy: { set_version: `sha256:${"0".repeat(64)}`, determining: ["reports-read"] },
    correlation: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", task_id: `task for card ${CARD}`, request_id: `req ${AWS}` },
    ...extra,
  };
}

describe("redactText", () => {
  it("replaces each secret by a marker naming its kind, keyed by the binding key", () => {
    const out = redactText(`u?token=${AWS}&card=${CARD}`, KEY, true);
    expect(out).toBe(`u?token=${redactionMarker(KEY, "aws_access_key", AWS)}&card=${redactionMarker(KEY, "payment_card", CARD)}`);
    expect(redactionMarker(KEY, "aws_access_key", AWS)).toMatch(MARKER);
    expect(redactionMarker(KEY, "aws_access_key", AWS)).not.toBe(redactionMarker(OTHER_KEY, "aws_access_key", AWS));
  });

  it("gives one card the same marker however it is printed", () => {
    const marker = redactionMarker(KEY, "payment_card", CARD);
    for (const printed of ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111.1111.1111.1111", "4111/1111/1111/1111", "４１１１ １１１１ １１１１ １１１１"]) {
      expect(redactText(`card ${printed}`, KEY, true)).toBe(`card ${marker}`);
    }
  });

  it("leaves e-mail addresses alone when asked, and finds them between other markers otherwise", () => {
    expect(redactText("to=bob@example.com", KEY, false)).toBe("to=bob@example.com");
    const out = redactText(`?t=${AWS}&to=bob@example.com`, KEY, true);
    expect(out).toMatch(/^\?t=\[REDACTED:aws_access_key:[0-9a-f]{16}\]\[REDACTED:email:[0-9a-f]{16}\]$/);
  });

  it("changes nothing twice, and does not let a forged marker hide a secret", () => {
    const once = redactText(`a ${AWS} b ${CARD}`, KEY, true);
    expect(redactText(once, KEY, true)).toBe(once);
    const forged = `[REDACTED:aws_access_key:${AWS}]`;
    expect(redactText(forged, KEY, true)).not.toContain(AWS);
  });

  it("never lets a planted secret through, wherever it stands", () => {
    const secret = fc.constantFrom(AWS, "ASIAY34FZKBOKMUTVV7A", CARD, "5500 0000 0000 0004", "078-05-1120", "ghp_" + "a1B2".repeat(9), "sk_live_" + "x".repeat(24), "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln");
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), secret, fc.string({ maxLength: 30 }), (before, value, after) => {
        expect(redactText(`${before} ${value} ${after}`, KEY, true)).not.toContain(value);
      }),
      { numRuns: 300 },
    );
  });
});

describe("redactRecord and prepareRecord", () => {
  it("redacts every free-text field before the leaf is encoded", () => {
    const { record, bytes } = prepareRecord(decision(), { redactionKey: KEY });
    const text = bytes.toString("utf8");
    expect(text).not.toContain(AWS);
    expect(text).not.toContain(CARD);
    const aws = redactionMarker(KEY, "aws_access_key", AWS);
    const card = redactionMarker(KEY, "payment_card", CARD);
    expect(record).toMatchObject({
      resource: { id: `file:///reports?token=${aws}&card=${card}` },
      pep: { id: `gateway ${aws}` },
      correlation: { task_id: `task for card ${card}`, request_id: `req ${aws}` },
    });
    expect(decodeRecord(bytes)).toEqual(record);
  });

  it("keeps identity e-mail addresses, and redacts one in a free-text field", () => {
    const { record } = prepareRecord(decision({ note: "Asked by carol@example.com." }), { redactionKey: KEY });
    expect(record).toMatchObject({ subject: { owner: "alice@example.com" }, note: `Asked by ${redactionMarker(KEY, "email", "carol@example.com")}.` });
    const approval = prepareRecord(
      { kind: "approval", request_id: "apr-1", state: "approved", requester: { id: "bot@example.com", type: "agent", owner: "alice@example.com" }, approver: "bob@example.com", action: "deploy", resource: { id: "svc" }, expires_at: "2026-11-25T11:00:00.000Z" },
      { redactionKey: KEY },
    ).record;
    expect(approval).toMatchObject({ requester: { id: "bot@example.com", owner: "alice@example.com" }, approver: "bob@example.com" });
  });

  it("leaves structural fields alone even when they hold a Luhn-valid digit run", () => {
    // 4111111111111111 passes Luhn; inside a digest, an id or a trace id it is no card.
    const digest = `hmac-sha256:${CARD}${"ab".repeat(24)}`;
    const input = decision({
      id: `rec-${CARD}`,
      args_digest: digest,
      correlation: { trace_id: `${CARD}${"abcdef12".repeat(2)}`, parent_decision_id: `dec-${CARD}` },
      grant: { id: `grant-${CARD}`, expires_at: "2026-11-25T11:00:00.000Z" },
      attributes: { digest: `sha256:${CARD}${"cd".repeat(24)}`, revision: `${CARD}${"e".repeat(24)}` },
    });
    const { record } = prepareRecord(input, { redactionKey: KEY });
    expect(record).toMatchObject({ id: `rec-${CARD}`, args_digest: digest, correlation: input.correlation as object, grant: input.grant as object, attributes: input.attributes as object });
  });

  it("reads the keys and strings of open sections (attributes, evaluated) too", () => {
    const { record } = prepareRecord(decision({ attributes: { [AWS]: "k", nested: [{ card: CARD }] } }), { redactionKey: KEY });
    expect(record.attributes).toEqual({ [redactionMarker(KEY, "aws_access_key", AWS)]: "k", nested: [{ card: redactionMarker(KEY, "payment_card", CARD) }] });
  });

  it("returns the same object when there is nothing to redact, and never changes its input", () => {
    const clean = prepareRecord(decision({ resource: { id: "file:///reports" }, pep: { id: "gateway", kind: "mcp" }, correlation: { task_id: "t-1" } })).record;
    expect(redactRecord(clean, KEY)).toEqual({ record: clean, count: 0 });
    expect(redactRecord(clean, KEY).record).toBe(clean);
    const input = decision();
    const copy = structuredClone(input);
    prepareRecord(input, { redactionKey: KEY });
    expect(input).toEqual(copy);
  });
});

describe("docs/record.md", () => {
  const doc = readFileSync(new URL("../../docs/record.md", import.meta.url), "utf8");

  it("names every kind a marker can carry", () => {
    for (const kind of FOUND_KINDS) expect(doc).toContain(`\`${kind}\``);
  });

  it("shows the marker redactText writes for its example", () => {
    const sevens = Buffer.alloc(32, 7);
    expect(doc).toContain(`\`${redactText(`file:///reports?token=${AWS}&card=${CARD}`, sevens, true)}\``);
  });
});
