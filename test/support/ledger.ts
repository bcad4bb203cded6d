// A ledger in a fresh temporary data directory, for in-process tests.
import { cpSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { openLedger, type OpenLedgerOptions, type OpenedLedger } from "../../src/ledger/index.js";
import { initDataDir } from "./data-dir.js";
import { tempDir } from "./cli.js";

export function eventLine(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: "event",
    source: "ci",
    subject: { id: `bot-${i % 7}`, type: "pipeline" },
    action: "deploy",
    resource: { id: `svc-${i}` },
    outcome: i % 5 === 0 ? "deny" : "allow",
    ...extra,
  };
}

export function freshLedger(options: OpenLedgerOptions = {}, origin = "test.arbiter.example/log"): OpenedLedger & { dir: string } {
  const dir = join(tempDir(), "data");
  initDataDir(dir, { origin });
  return { dir, ...openLedger(dir, { checkpointIntervalMs: 0, ...options }) };
}

/**
 * A copy of data directory `pristine` at `dir`, its database then damaged through a connection of its
 * own (SQL, or a function given the connection), as an attacker with write access to the file would.
 */
export function tamperedCopy(pristine: string, dir: string, damage: string | ((db: Database.Database) => void)): string {
  cpSync(pristine, dir, { recursive: true });
  const db = new Database(join(dir, "arbiter.db"));
  try {
    if (typeof damage === "string") db.exec(damage);
    else damage(db);
  } finally {
    db.close();
  }
  return dir;
}
