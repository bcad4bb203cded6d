// Linkage and secrets: an outside event whose resource carries a token still joins the decision whose leaf holds
// only its marker, and neither the run's records, its tables nor the database files keep the raw value.
import { beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/ledger/index.js";
import { storeFileBytes } from "../support/store.js";
import { accessLine, makeWorld, plus, type World } from "./world.js";

const AWS = "AKIAIOSFODNN7EXAMPLE";
const CARD = "4111111111111111";
const OBJECT = `arn:aws:s3:::exports/customers.csv?X-Amz-Credential=${AWS}&card=${CARD}`;

let world: World;

beforeAll(async () => {
  world = await makeWorld();
});

describe("linkage over redacted decisions", () => {
  it("joins by subject, action and resource on the markers, and records no raw value", async () => {
    const decision = await world.decide({ as: "support-agent", action: "s3:GetObject", resource: { type: "CloudObject", id: OBJECT } });
    expect(decision.outcome).toBe("allow");
    const log = world.write("signed-urls.jsonl", [
      accessLine({ time: plus(decision.time, 1), subject: "support-agent", action: "s3:GetObject", resource: OBJECT }),
      accessLine({ time: plus(decision.time, 2), subject: "support-agent", action: "s3:DeleteObject", resource: OBJECT }),
      `{"time": "${decision.time}", "subject": 42, "note": "${AWS}"`,
    ]);
    const summary = await world.link(log, "jsonl");
    expect(summary).toMatchObject({ events: 2, linked: 1, by_key: { subject_action_resource: 1 } });

    const link = world.records("link").find((r) => r.kind === "link" && r.run_id === summary.run_id);
    const finding = world.records("finding").find((r) => r.kind === "finding" && r.run_id === summary.run_id);
    const stored = (world.records("decision").find((r) => r.id === decision.decision_id) as { resource: { id: string } }).resource.id;
    expect(stored).toMatch(/^arn:aws:s3:::exports\/customers\.csv\?X-Amz-Credential=\[REDACTED:aws_access_key:[0-9a-f]{16}\]&card=\[REDACTED:payment_card:[0-9a-f]{16}\]$/);
    expect(link).toMatchObject({ links: [{ decision_id: decision.decision_id, key: "subject_action_resource", resource: stored }] });
    expect(finding).toMatchObject({ reason_code: "UNLINKED_ACTION", resource: { id: stored } });

    await world.runtime.ledger.drain();
    const bytes = storeFileBytes(world.dir);
    expect(bytes.includes(AWS)).toBe(false);
    expect(bytes.includes(CARD)).toBe(false);
    const ledger = world.runtime.ledger;
    expect(verifyLedger(ledger.reader, ledger.verifier, ledger.origin, { indexes: true }).ok).toBe(true);
  });
});
