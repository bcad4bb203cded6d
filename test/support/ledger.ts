// A ledger in a fresh temporary data directory, for in-process tests.
import { join } from "node:path";
import { initLedgerDir, openLedger, type OpenLedgerOptions, type OpenedLedger } from "../../src/ledger/index.js";
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
  initLedgerDir(dir, { origin });
  return { dir, ...openLedger(dir, { checkpointIntervalMs: 0, ...options }) };
}
