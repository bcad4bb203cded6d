// End to end through the real CLI: init, append, proofs, bundles, erasure and bad input.
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openCheckpoint } from "../../src/ledger/checkpoint.js";
import { verifierFromVkey, verifyConsistencyProofText, verifyInclusionProofText } from "../../src/ledger/index.js";
import { arbiter, tempDir } from "../support/cli.js";
import { eventLine } from "../support/ledger.js";
import { itOnSqlite } from "../support/data-dir.js";

const SMALLEST = '{"kind":"event","source":"ci","subject":{"id":"deploy-bot","type":"pipeline"},"action":"deploy","resource":{"id":"prod"},"outcome":"allow"}';

const work = tempDir();
const data = join(work, "data");

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, name);
    if (statSync(path).isFile()) out[name] = createHash("sha256").update(readFileSync(path)).digest("hex");
  }
  return out;
}

beforeAll(() => {
  const init = arbiter(["init", "--data", data, "--origin", "cli.arbiter.example/log"]);
  expect(init.status).toBe(0);
});

describe("arbiter init", () => {
  it("creates the data directory with a private signing key and is idempotent", () => {
    expect(statSync(join(data, "signing.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(data, "verifier.key"), "utf8")).toMatch(/^cli\.arbiter\.example\/log\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+\n$/);
    const before = snapshot(data);
    const again = arbiter(["init", "--data", data, "--json"]);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, origin: "cli.arbiter.example/log" });
    expect(snapshot(data)).toEqual(before);
  });

  it("uses ARBITER_DATA when --data is not given", () => {
    const dir = join(work, "from-env");
    expect(arbiter(["init"], { env: { ARBITER_DATA: dir } }).status).toBe(0);
    expect(existsSync(join(dir, "config.json"))).toBe(true);
  });
});

describe("arbiter log append and proofs", () => {
  it("accepts the smallest documented line and fills in id and time", () => {
    const result = arbiter(["log", "append", "--data", data], { input: `${SMALLEST}\n` });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("0\n");
    const shown = JSON.parse(arbiter(["log", "show", "0", "--json", "--data", data]).stdout) as { record: Record<string, unknown> };
    expect(shown.record).toMatchObject({ kind: "event", source: "ci", action: "deploy", outcome: "allow", v: 1 });
    expect(shown.record.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(shown.record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("prints each index in input order and the exact leaf bytes of an entry", () => {
    const lines = Array.from({ length: 9 }, (_, i) => JSON.stringify(eventLine(i))).join("\n");
    const result = arbiter(["log", "append", "-", "--data", data], { input: lines });
    expect(result.stdout).toBe("1\n2\n3\n4\n5\n6\n7\n8\n9\n");
    const entry = arbiter(["log", "entry", "3", "--data", data]);
    const record = JSON.parse(entry.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({ resource: { id: "svc-2" } });
    expect(entry.stdoutBytes.at(-1)).not.toBe(0x0a);
  });

  it("proves inclusion and consistency in the C2SP formats", () => {
    const vkey = arbiter(["log", "vkey", "--data", data]).stdout.trim();
    const verifier = verifierFromVkey(vkey);
    const checkpoint = arbiter(["log", "checkpoint", "--data", data]).stdout;
    expect(openCheckpoint(checkpoint, verifier).size).toBe(10);
    const proof = arbiter(["log", "prove", "7", "--data", data]).stdout;
    expect(proof.startsWith("c2sp.org/tlog-proof@v1\nindex 7\n")).toBe(true);
    const entry = arbiter(["log", "entry", "7", "--data", data]).stdoutBytes;
    expect(verifyInclusionProofText(proof, entry, verifier)).toMatchObject({ index: 7, size: 10 });

    const oldCheckpoint = openCheckpoint(checkpoint, verifier);
    arbiter(["log", "append", "--data", data], { input: JSON.stringify(eventLine(50)) });
    const consistency = arbiter(["log", "consistency", "--old", "10", "--data", data]).stdout;
    expect(consistency.startsWith("old 10\n")).toBe(true);
    expect(verifyConsistencyProofText(consistency, oldCheckpoint, verifier).size).toBe(11);
  });

  it("rejects bad lines by line number and still appends the good ones", () => {
    const huge = JSON.stringify(eventLine(0, { attributes: { blob: "x".repeat(70_000) } }));
    const input = [JSON.stringify(eventLine(1)), "{not json", JSON.stringify({ ...eventLine(2), kind: "teleport" }), huge, "", JSON.stringify(eventLine(3))].join("\n");
    const result = arbiter(["log", "append", "--data", data], { input });
    expect(result.status).toBe(1);
    expect(result.stdout.trim().split("\n")).toHaveLength(2);
    expect(result.stderr).toMatch(/line 2: invalid JSON: .*\[INVALID_JSON\]/);
    expect(result.stderr).toMatch(/line 3: kind: .*teleport.*\[INVALID_RECORD\]/);
    expect(result.stderr).toMatch(/line 4: .*65536.*\[RECORD_TOO_LARGE\]/);
    expect(result.stderr).not.toMatch(/line 6/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it("reports a JSON error object per rejected line with --json", () => {
    const result = arbiter(["log", "append", "--json", "--data", data], { input: "[1,2]\n" });
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ line: 1, error: { code: "INVALID_RECORD" } });
  });

  it("answers an out-of-range index with a usage error", () => {
    const result = arbiter(["log", "prove", "99999", "--data", data]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/entry 99999 does not exist/);
  });

  it("tails entries for people", () => {
    const result = arbiter(["log", "tail", "-n", "2", "--data", data]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split("\n")).toHaveLength(2);
    expect(result.stdout).toMatch(/event\s+bot-3\s+deploy\s+svc-3\s+allow/);
  });
});

describe("evidence bundles", () => {
  it("exports a bundle that verifies offline and catches tampering", () => {
    const out = join(work, "bundle");
    const exported = arbiter(["log", "export", "--out", out, "--json", "--data", data]);
    expect(exported.status).toBe(0);
    const vkey = readFileSync(join(data, "verifier.key"), "utf8").trim();
    const ok = arbiter(["log", "verify-bundle", out, "--vkey", vkey, "--json"]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, keyPinned: true, verified: (JSON.parse(exported.stdout) as { count: number }).count });

    const entry = join(out, "entries", "4.json");
    writeFileSync(entry, readFileSync(entry, "utf8").replace("deploy", "destroy"));
    const bad = arbiter(["log", "verify-bundle", out, "--vkey", vkey, "--json"]);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, failures: [{ index: 4 }] });
  });

  it("refuses a bundle signed by another key than the trusted one", () => {
    const out = join(work, "bundle-2");
    arbiter(["log", "export", "--out", out, "--data", data]);
    const other = join(work, "other");
    arbiter(["init", "--data", other, "--origin", "cli.arbiter.example/log"]);
    const result = arbiter(["log", "verify-bundle", out, "--vkey", join(other, "verifier.key")]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/NOTE_INVALID|BUNDLE_INVALID/);
  });

  it("fails a forged bundle signed with its own key unless told to trust the bundle's key", () => {
    // The forger runs a log of their own under the victim's origin and exports it: self-consistent, wrong key.
    const forger = join(work, "forger");
    arbiter(["init", "--data", forger, "--origin", "cli.arbiter.example/log"]);
    arbiter(["log", "append", "--data", forger], { input: SMALLEST.replace("deploy-bot", "nobody") });
    const forged = join(work, "bundle-forged");
    expect(arbiter(["log", "export", "--out", forged, "--data", forger]).status).toBe(0);

    const unpinned = arbiter(["log", "verify-bundle", forged]);
    expect(unpinned.status).toBe(2);
    expect(unpinned.stdout).toBe("");
    expect(unpinned.stderr).toMatch(/no trusted verifier key: pass --vkey .* or --trust-bundle-key/);
    const unpinnedJson = arbiter(["log", "verify-bundle", forged, "--json"]);
    expect(unpinnedJson.status).toBe(2);
    expect(unpinnedJson.stdout).not.toMatch(/"ok":true/);

    // An empty key (a key file that failed to be read into a variable) must not fall back to the bundle's key.
    expect(arbiter(["log", "verify-bundle", forged, "--vkey", ""]).status).toBe(2);
    expect(arbiter(["log", "verify-bundle", forged, "--vkey", join(data, "verifier.key"), "--trust-bundle-key"]).status).toBe(2);

    const pinned = arbiter(["log", "verify-bundle", forged, "--vkey", join(data, "verifier.key")]);
    expect(pinned.status).toBe(1);
    expect(pinned.stderr).toMatch(/NOTE_INVALID/);

    const trusting = arbiter(["log", "verify-bundle", forged, "--trust-bundle-key"]);
    expect(trusting.status).toBe(0);
    expect(trusting.stdout).toMatch(/checked against the bundle's own key \(--trust-bundle-key\)/);
    const trustingJson = arbiter(["log", "verify-bundle", forged, "--trust-bundle-key", "--json"]);
    expect(JSON.parse(trustingJson.stdout)).toMatchObject({ ok: true, keyPinned: false });
  });

  it("exports only the records of a time range", () => {
    const out = join(work, "bundle-empty-range");
    const result = arbiter(["log", "export", "--out", out, "--from", "2000-01-01T00:00:00Z", "--to", "2000-01-02T00:00:00Z", "--json", "--data", data]);
    expect(JSON.parse(result.stdout)).toMatchObject({ count: 0 });
  });
});

describe("erasure", () => {
  it("erases raw values of a subject while every proof stays valid", () => {
    const line = JSON.stringify(eventLine(0, { subject: { id: "agent-erase", type: "agent" }, sensitive: { prompt: "my password is hunter2" } }));
    const index = Number(arbiter(["log", "append", "--data", data], { input: line }).stdout.trim());
    const leaf = arbiter(["log", "entry", String(index), "--data", data]).stdout;
    expect(leaf).not.toContain("hunter2");
    const revealed = JSON.parse(arbiter(["log", "show", String(index), "--reveal", "--json", "--data", data]).stdout) as { raw_values: Record<string, unknown> };
    expect(revealed.raw_values.prompt).toMatchObject({ value: "my password is hunter2", matches_commitment: true });
    const proof = arbiter(["log", "prove", String(index), "--data", data]).stdout;

    const erased = arbiter(["log", "erase", "--subject", "agent-erase", "--json", "--data", data]);
    expect(JSON.parse(erased.stdout)).toMatchObject({ erased: 1 });
    const after = JSON.parse(arbiter(["log", "show", String(index), "--reveal", "--json", "--data", data]).stdout) as { raw_values: Record<string, unknown> };
    expect(after.raw_values.prompt).toEqual({ erased: true });
    const vkey = arbiter(["log", "vkey", "--data", data]).stdout.trim();
    expect(verifyInclusionProofText(proof, Buffer.from(leaf), verifierFromVkey(vkey)).index).toBe(index);
    expect(arbiter(["log", "verify", "--data", data]).status).toBe(0);
  });

  it("needs exactly one selector", () => {
    expect(arbiter(["log", "erase", "--data", data]).status).toBe(2);
  });
});

describe("foreign and damaged data directories", () => {
  it("refuses a directory that is not Arbiter's, without touching it", () => {
    const dir = join(work, "foreign");
    mkdirSync(dir);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const before = snapshot(dir);
    for (const args of [["log", "verify"], ["init"], ["log", "append"]]) {
      const result = arbiter([...args, "--data", dir], { input: SMALLEST });
      expect(result.status).toBe(3);
      expect(result.stderr).toMatch(/not an Arbiter data directory.*\[DATA_DIR_INVALID\]/);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot(dir)).toEqual(before);
  });

  itOnSqlite("refuses a corrupt database file, without touching it", () => {
    const dir = join(work, "corrupt");
    expect(arbiter(["init", "--data", dir]).status).toBe(0);
    writeFileSync(join(dir, "arbiter.db"), Buffer.alloc(8192, 0x5a));
    const before = snapshot(dir);
    const result = arbiter(["log", "verify", "--data", dir]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/arbiter\.db is not a usable Arbiter store: file is not a database \[DATA_DIR_INVALID\]/);
    expect(snapshot(dir)).toEqual(before);
  });

  itOnSqlite("refuses a SQLite database of another application, without touching it", async () => {
    const dir = join(work, "other-sqlite");
    expect(arbiter(["init", "--data", dir]).status).toBe(0);
    const { default: Database } = await import("better-sqlite3");
    const path = join(dir, "arbiter.db");
    writeFileSync(path, "");
    const db = new Database(path);
    db.exec("CREATE TABLE users (name TEXT)");
    db.close();
    const before = snapshot(dir);
    const result = arbiter(["log", "tail", "--data", dir]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/not an Arbiter store/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("refuses a broken config and a readable signing key", () => {
    const dir = join(work, "broken-config");
    expect(arbiter(["init", "--data", dir]).status).toBe(0);
    const config = readFileSync(join(dir, "config.json"), "utf8");
    writeFileSync(join(dir, "config.json"), "{");
    expect(arbiter(["log", "verify", "--data", dir]).stderr).toMatch(/config\.json is not readable JSON/);
    writeFileSync(join(dir, "config.json"), config);
    chmodSync(join(dir, "signing.key"), 0o644);
    expect(arbiter(["log", "verify", "--data", dir]).stderr).toMatch(/signing\.key is accessible by other users/);
  });

  it("says how to start when the directory does not exist", () => {
    const result = arbiter(["log", "verify", "--data", join(work, "nowhere")]);
    expect(result.status).toBe(3);
    expect(result.stderr).toMatch(/run `arbiter init/);
  });
});
