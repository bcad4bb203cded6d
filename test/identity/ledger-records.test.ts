// Every change leaves its lifecycle record in the ledger, and no leaf holds a key, a secret, a token or a hash.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { LifecycleRecord } from "../../src/record/index.js";
import { ADMIN, agent, freshDirectory } from "./fixture.js";

const fx = freshDirectory();
const { directory, ledger } = fx;

function leaves(): string[] {
  return [...ledger.reader.entries(0, ledger.size())].map((e) => e.data.toString("utf8"));
}

describe("lifecycle records", () => {
  it("records every kind of change with identity, actor and credential, and never a secret", async () => {
    const secrets: string[] = [];
    const keep = (key: string) => {
      const secret = key.slice(key.indexOf("_", 4) + 1);
      const hash = createHash("sha256").update(secret).digest();
      secrets.push(key, secret, hash.toString("hex"), hash.toString("base64"), hash.toString("base64url"));
    };
    await directory.create({ id: "uma", type: "human" }, ADMIN);
    await directory.create({ id: "vic", type: "human" }, ADMIN);
    await agent(directory, "rec-bot", "uma");
    const issued = await directory.issueApiKey("rec-bot", ADMIN);
    keep(issued.key);
    const rotated = await directory.rotateApiKey("rec-bot", ADMIN, { graceSeconds: 60, reason: "scheduled" });
    keep(rotated.key);
    const { token, credential: tokenCredential } = await directory.issueToken("rec-bot", { actFor: ["uma"], intent: "secret plans" }, ADMIN);
    secrets.push(token, token.split(".")[2] ?? "", "secret plans");
    await directory.revokeCredential(tokenCredential.id, ADMIN);
    await directory.suspend("rec-bot", ADMIN, "investigating");
    await directory.reactivate("rec-bot", ADMIN);
    await directory.update("rec-bot", { owner: "vic" }, ADMIN);
    await directory.revoke("rec-bot", ADMIN);
    await directory.offboard("rec-bot", ADMIN);

    const records = leaves()
      .map((l) => JSON.parse(l) as LifecycleRecord)
      .filter((r) => r.kind === "lifecycle" && r.identity.id === "rec-bot");
    expect(records.map((r) => r.event)).toEqual([
      "created",
      "credential_issued",
      "rotated",
      "credential_issued",
      "revoked",
      "suspended",
      "reactivated",
      "owner_changed",
      "revoked",
      "offboarded",
    ]);
    for (const r of records) expect(r.actor).toEqual(ADMIN);
    expect(records[1]?.credential).toEqual({ id: issued.credential.id, kind: "api_key", issued_at: issued.credential.created_at });
    expect(records[2]).toMatchObject({ credential: { id: rotated.credential.id }, note: "scheduled", attributes: { replaced: [issued.credential.id], grace_seconds: 60 } });
    expect(records[3]).toMatchObject({ credential: { id: tokenCredential.id, kind: "token", expires_at: tokenCredential.expires_at }, attributes: { act_for: ["uma"] } });
    expect(records[4]?.credential?.id).toBe(tokenCredential.id);
    expect(records[5]?.note).toBe("investigating");
    expect(records[7]?.identity.owner).toBe("vic");
    expect(records[8]?.credential).toBeUndefined();

    for (const leaf of leaves()) for (const secret of secrets) expect(leaf.includes(secret), `a leaf holds ${secret.slice(0, 12)}…`).toBe(false);
  });

  it("leaves state and ledger untouched when a change is refused", async () => {
    const size = ledger.size();
    await expect(directory.create({ id: "uma", type: "human" }, ADMIN)).rejects.toMatchObject({ code: "CONFLICT" });
    expect(ledger.size()).toBe(size);
  });

  it("lets exactly one of two racing changes through, refusing the other inside the transaction", async () => {
    await agent(directory, "racer", "vic");
    const size = ledger.size();
    // Both pass the check before the append; only the transaction can tell them apart.
    const results = await Promise.allSettled([directory.suspend("racer", ADMIN), directory.suspend("racer", ADMIN)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "CONFLICT" } });
    expect(ledger.size()).toBe(size + 1);

    await directory.reactivate("racer", ADMIN);
    await directory.issueApiKey("racer", ADMIN);
    const rotations = await Promise.allSettled([directory.rotateApiKey("racer", ADMIN), directory.rotateApiKey("racer", ADMIN)]);
    expect(rotations.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(directory.credentials("racer").filter((c) => c.status === "active")).toHaveLength(1);
  });
});
