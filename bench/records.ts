// The record the ledger benchmarks append (shaped like a decision, one in ten a denial), and how they
// append it: many callers at once, so that group commit has batches to gather.
import type { Ledger } from "../src/ledger/index.js";

/** Appends in flight at most, as concurrent callers would have them. */
export const APPEND_WINDOW = 4096;

export function decisionLike(i: number): Record<string, unknown> {
  return {
    kind: "decision",
    subject: { id: `agent-${i % 100}`, type: "agent", owner: "alice@example.com" },
    action: "tools/call:read_file",
    resource: { id: `fs/docs/${i}.md`, type: "file" },
    outcome: i % 10 === 0 ? "deny" : "allow",
    control: "access",
    reason_code: i % 10 === 0 ? "POLICY_FORBID" : "POLICY_PERMIT",
    note: i % 10 === 0 ? "Agents may not read restricted files." : "Agents may read project docs.",
    policy: { set_version: "sha256:8d3f", determining: ["docs-read"] },
    correlation: { trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" },
  };
}

/** Appends `count` records with up to APPEND_WINDOW in flight; the seconds it took. */
export async function appendMany(ledger: Ledger, count: number, onProgress?: (done: number) => void): Promise<number> {
  const started = process.hrtime.bigint();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(ledger.append(decisionLike(i)));
    if (inFlight.length >= APPEND_WINDOW) {
      await Promise.all(inFlight.splice(0));
      onProgress?.(i + 1);
    }
  }
  await Promise.all(inFlight);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
