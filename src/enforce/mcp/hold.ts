// Holding a call open while an approver decides: poll the approval, tell the client it is still waiting, stop on cancel or timeout.
import { setTimeout as sleep } from "node:timers/promises";
import type { DecisionPoint } from "../decision-point/index.js";

export type HoldOutcome =
  | { kind: "decided" }
  | { kind: "expired" }
  | { kind: "timeout" }
  | { kind: "cancelled" };

export interface HoldInput {
  point: DecisionPoint;
  requestId: string;
  /** Epoch milliseconds after which the gateway stops waiting and answers APPROVAL_EXPIRED. */
  deadline: number;
  pollMs: number;
  progressMs: number;
  signal: AbortSignal;
  /** Sends a progress notification (only when the client asked for progress). */
  progress?: (elapsedSeconds: number, message: string) => void;
}

/**
 * Waits until the approval request is approved or denied (the caller then decides again: the engine
 * answers APPROVAL_GRANTED or APPROVAL_DENIED), expires, the deadline passes or the client cancels.
 * A failed poll (Arbiter briefly unreachable) is retried until the deadline: it never lets the call through.
 */
export async function holdForApproval(input: HoldInput): Promise<HoldOutcome> {
  const started = Date.now();
  const message = `Waiting for an approver to decide approval request ${input.requestId}.`;
  // The first notification goes out at once: the client learns the call is held before any poll.
  input.progress?.(0, message);
  let nextProgress = started + input.progressMs;
  for (;;) {
    if (input.signal.aborted) return { kind: "cancelled" };
    const status = await input.point.approval(input.requestId).catch(() => ({ state: "pending" as const, expires_at: "" }));
    if (status === undefined || status.state === "expired") return { kind: "expired" };
    if (status.state === "approved" || status.state === "denied") return { kind: "decided" };
    const now = Date.now();
    if (now >= input.deadline) return { kind: "timeout" };
    if (input.progress && now >= nextProgress) {
      input.progress((now - started) / 1000, message);
      nextProgress = now + input.progressMs;
    }
    try {
      await sleep(Math.max(1, Math.min(input.pollMs, input.deadline - now)), undefined, { signal: input.signal });
    } catch {
      return { kind: "cancelled" };
    }
  }
}
