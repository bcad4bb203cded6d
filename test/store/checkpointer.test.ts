// The WAL checkpointer's worker is a real module (checkpoint-worker.ts, type-checked and linted), not an
// eval'd string; the checkpointer from the sources and from the build both start it.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BackgroundCheckpointer as FromSource } from "../../src/store/sqlite/checkpointer.js";
import { ROOT } from "../support/cli.js";

type Checkpointer = typeof FromSource;
const built = (await import(join(ROOT, "dist", "store", "sqlite", "checkpointer.js"))) as { BackgroundCheckpointer: Checkpointer };

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function walDatabase(): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), "arbiter-ckpt-"));
  dirs.push(dir);
  const db = new Database(join(dir, "store.db"));
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (v BLOB)");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  for (let i = 0; i < 50; i++) insert.run(Buffer.alloc(4096, i));
  return db;
}

async function until(what: string, done: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  if (!done()) throw new Error(`never: ${what}`);
}

describe.each([
  ["the sources", FromSource],
  ["the build", built.BackgroundCheckpointer],
])("the background checkpointer from %s", (_, Checkpointer) => {
  it("copies the WAL into the database and asks the writer to restart a long WAL", async () => {
    const db = walDatabase();
    let restartWanted = 0;
    const failures: Error[] = [];
    const checkpointer = new Checkpointer(db.name, () => restartWanted++, (error) => failures.push(error), { intervalMs: 10, restartFrames: 1 });
    await until("a restart request", () => restartWanted > 0 || failures.length > 0);
    await checkpointer.stop();
    expect(failures).toEqual([]);
    // Every frame was copied: a RESTART by the writer now finds nothing left to copy.
    const [restart] = db.pragma("wal_checkpoint(RESTART)") as { busy: number; log: number; checkpointed: number }[];
    expect(restart).toMatchObject({ busy: 0 });
    expect(restart?.checkpointed).toBe(restart?.log);
    db.close();
  });

  it("reports a worker that cannot open the database instead of throwing into the process", async () => {
    const failures: Error[] = [];
    const checkpointer = new Checkpointer(join(tmpdir(), "arbiter-no-such-dir", "store.db"), () => undefined, (error) => failures.push(error), { intervalMs: 10 });
    await until("a reported failure", () => failures.length > 0);
    expect(failures[0]?.message).toMatch(/unable to open|directory does not exist|SQLITE_CANTOPEN/i);
    await checkpointer.stop();
  });
});
