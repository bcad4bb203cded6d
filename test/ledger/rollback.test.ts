// A truncated log, or an older copy of the database restored: the checkpoint kept outside the
// database (the data directory's latest.checkpoint, a witness's copy) makes verify fail and every
// opener, `serve` included, refuse the log instead of signing new checkpoints over it.
import Database from "better-sqlite3";
import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { arbiter, CLI, ROOT, tempDir } from "../support/cli.js";
import { eventLine } from "../support/ledger.js";

const work = tempDir();
let data: string;
let older: string;

const lines = (from: number, count: number): string => Array.from({ length: count }, (_, i) => JSON.stringify(eventLine(from + i))).join("\n");

function restoreOlder(name: string): string {
  const dir = join(work, name);
  cpSync(data, dir, { recursive: true });
  for (const suffix of ["", "-wal", "-shm"]) rmSync(join(dir, `arbiter.db${suffix}`), { force: true });
  copyFileSync(older, join(dir, "arbiter.db"));
  return dir;
}

function verify(dir: string, extra: string[] = []): { status: number | null; ok?: boolean; failure?: { problem: string } } {
  const result = arbiter(["log", "verify", "--json", "--data", dir, ...extra]);
  return { status: result.status, ...(JSON.parse(result.stdout) as { ok: boolean }) };
}

beforeAll(() => {
  data = join(work, "data");
  expect(arbiter(["init", "--data", data, "--origin", "rollback.arbiter.example/log"]).status).toBe(0);
  expect(arbiter(["log", "append", "--data", data], { input: lines(0, 10) }).status).toBe(0);
  older = join(work, "older.db");
  // A consistent backup at size 10, as `sqlite3 .backup` would take it.
  new Database(join(data, "arbiter.db")).exec(`VACUUM INTO '${older}'`);
  expect(arbiter(["log", "append", "--data", data], { input: lines(10, 10) }).status).toBe(0);
});

describe("the latest checkpoint kept outside the database", () => {
  it("is written to the data directory each time a checkpoint is signed", () => {
    const note = readFileSync(join(data, "latest.checkpoint"), "utf8");
    expect(note).toMatch(/^rollback\.arbiter\.example\/log\n20\n/);
    expect(verify(data)).toMatchObject({ status: 0, ok: true });
  });

  it("fails verify, and refuses append and serve, on an older copy of the database", () => {
    const dir = restoreOlder("restored");
    const result = verify(dir);
    expect(result).toMatchObject({ status: 1, ok: false });
    expect(result.failure?.problem).toMatch(/signed at size 20 \(.*latest\.checkpoint\).*only 10 entries/);

    const append = arbiter(["log", "append", "--data", dir], { input: lines(10, 1) });
    expect(append.status).toBe(1);
    expect(append.stderr).toMatch(/this log signed a checkpoint at size 20.*older copy of the database was restored/);

    const serve = spawnSync(process.execPath, [CLI, "serve", "--port", "0", "--log-level", "silent", "--data", dir], { cwd: ROOT, timeout: 30_000 });
    expect(serve.status).toBe(1);
    expect(serve.stderr.toString()).toMatch(/LEDGER_CORRUPT/);
    expect(readFileSync(join(dir, "latest.checkpoint"), "utf8")).toMatch(/\n20\n/);
  });

  it("fails verify on a log truncated together with its stored checkpoints", () => {
    const dir = join(work, "truncated");
    cpSync(data, dir, { recursive: true });
    const db = new Database(join(dir, "arbiter.db"));
    db.exec("DELETE FROM entries WHERE idx >= 15; DELETE FROM record_index WHERE idx >= 15; DELETE FROM checkpoints WHERE size > 15");
    db.close();
    expect(verify(dir)).toMatchObject({ status: 1, ok: false, failure: { problem: expect.stringMatching(/size 20.*only 15 entries/) as unknown } });
  });

  it("fails on a log rewritten past a witnessed size, and takes a witness's copy when the local one is gone", () => {
    const witness = join(work, "witness");
    mkdirSync(witness);
    copyFileSync(join(data, "latest.checkpoint"), join(witness, "rollback-20"));
    const dir = restoreOlder("restored-no-copy");
    rmSync(join(dir, "latest.checkpoint"));
    // Different entries appended after the restore: the log is as long as the witnessed one, but another tree.
    expect(arbiter(["log", "append", "--data", dir], { input: lines(100, 10) }).status).toBe(0);
    expect(existsSync(join(dir, "latest.checkpoint"))).toBe(true);
    // Without the witness nothing is left to compare with (docs/security.md says so).
    rmSync(join(dir, "latest.checkpoint"));
    expect(verify(dir)).toMatchObject({ status: 0, ok: true });
    const result = verify(dir, ["--checkpoint", witness]);
    expect(result).toMatchObject({ status: 1, ok: false });
    expect(result.failure?.problem).toMatch(/signed at size 20 \(.*rollback-20\).*rolled back/);
  });

  it("refuses a witness file that this log's key did not sign", () => {
    const other = join(work, "other");
    arbiter(["init", "--data", other, "--origin", "rollback.arbiter.example/log"]);
    arbiter(["log", "append", "--data", other], { input: lines(0, 3) });
    const result = verify(data, ["--checkpoint", join(other, "latest.checkpoint")]);
    expect(result).toMatchObject({ status: 1, ok: false, failure: { problem: expect.stringMatching(/not a checkpoint this log signed/) as unknown } });
  });
});
