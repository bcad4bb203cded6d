// Approver notifications: one delivery per webhook for each opened approval, queued, retried with backoff and jitter, every attempt recorded.
import { randomUUID } from "node:crypto";
import type { ApprovalOpened } from "../decide/index.js";
import type { Ledger } from "../ledger/index.js";
import { approvalMessage, APPROVAL_EVENT, renderBody } from "./message.js";
import { postOnce, type AttemptResult } from "./post.js";
import { webhookOrigin, type Webhook } from "./webhook.js";

export interface NotifierOptions {
  webhooks: readonly Webhook[];
  /** The console's public base URL, for the approve link, asked at each notification (a server knows its address once it listens); without one the body says how to approve from the command line. */
  publicUrl?: () => string | undefined;
  timeoutMs: number;
  maxAttempts: number;
  /** Most deliveries waiting, in flight or between attempts at once; one more is recorded as dropped. */
  queueSize: number;
  /** The first retry waits about this long, each next one twice as long, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface NotifierDeps {
  ledger: Pick<Ledger, "append">;
  /** Jitter's source (tests make it fixed). */
  random?: () => number;
  /** Where a record that could not be written is reported. */
  warn?: (line: string) => void;
}

/** At most this many POSTs at once, so a slow receiver cannot take every socket. */
const CONCURRENCY = 4;

interface Delivery {
  id: string;
  hook: Webhook;
  body: string;
  requestId: string;
  decisionId: string;
  attempt: number;
}

type Outcome = "delivered" | "failed" | "dropped";

export class ApproverNotifier {
  private readonly options: NotifierOptions;
  private readonly deps: NotifierDeps;
  private readonly ready: Delivery[] = [];
  private readonly waiting = new Map<NodeJS.Timeout, Delivery>();
  private readonly stop = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private queued = 0;
  private inFlight = 0;

  constructor(deps: NotifierDeps, options: NotifierOptions) {
    this.deps = deps;
    this.options = options;
  }

  /** Deliveries queued, in flight or waiting to be retried. */
  get pending(): number {
    return this.queued;
  }

  /** Queues one delivery per webhook and returns at once: a notification never holds up or fails the decision. */
  notify(opened: ApprovalOpened): void {
    if (this.stop.signal.aborted || this.options.webhooks.length === 0) return;
    const message = approvalMessage(opened, this.options.publicUrl?.());
    for (const hook of this.options.webhooks) {
      const delivery: Delivery = { id: randomUUID(), hook, body: renderBody(hook.format, message), requestId: opened.requestId, decisionId: opened.decisionId, attempt: 0 };
      if (this.queued >= this.options.queueSize) {
        this.track(this.record(delivery, "dropped", true, { ok: false, retryable: false, error: `the notification queue is full (${this.options.queueSize} deliveries)`, durationMs: 0 }));
        continue;
      }
      this.queued++;
      this.ready.push(delivery);
    }
    this.pump();
  }

  /** Resolves once nothing is queued, in flight or waiting to be retried (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (this.queued === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: attempts in flight are cut short, and each delivery that will not be tried again is recorded as failed. */
  async close(): Promise<void> {
    if (this.stop.signal.aborted) return this.idle();
    this.stop.abort();
    const abandoned = [...this.ready, ...this.waiting.values()];
    this.ready.length = 0;
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
    for (const delivery of abandoned) {
      this.queued--;
      this.track(this.record(delivery, "failed", true, { ok: false, retryable: false, error: "Arbiter stopped before the next attempt", durationMs: 0 }, delivery.attempt + 1));
    }
    await this.idle();
  }

  private pump(): void {
    while (this.inFlight < CONCURRENCY && this.ready.length > 0) {
      const delivery = this.ready.shift() as Delivery;
      this.inFlight++;
      this.track(this.attempt(delivery).finally(() => {
        this.inFlight--;
        this.pump();
      }));
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => {
      this.running.delete(work);
      this.settle();
    });
  }

  private settle(): void {
    if (this.queued !== 0 || this.running.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.attempt++;
    const result = await postOnce(delivery.hook, delivery.body, { delivery: delivery.id, event: APPROVAL_EVENT }, this.options.timeoutMs, this.stop.signal);
    const retry = !result.ok && result.retryable && delivery.attempt < this.options.maxAttempts && !this.stop.signal.aborted;
    await this.record(delivery, result.ok ? "delivered" : "failed", !retry, result);
    if (this.stop.signal.aborted && retry) {
      // close() ran during this attempt; it could not see this delivery, so its end is recorded here.
      await this.record(delivery, "failed", true, { ok: false, retryable: false, error: "Arbiter stopped before the next attempt", durationMs: 0 }, delivery.attempt + 1);
    } else if (retry) {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        this.ready.push(delivery);
        this.pump();
      }, this.backoff(delivery.attempt, result));
      // A pending retry does not keep a finished command alive; close() records it as abandoned.
      timer.unref();
      this.waiting.set(timer, delivery);
      return;
    }
    this.queued--;
  }

  /**
   * Exponential backoff with "equal jitter" (AWS Architecture Blog, "Exponential Backoff and
   * Jitter"): half the step fixed, half random, so receivers coming back up are not hit by every
   * Arbiter at once, and a retry never comes immediately. A Retry-After the receiver sent is honoured up to retryMaxMs.
   */
  private backoff(attempt: number, result: AttemptResult): number {
    const step = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
    const jittered = step / 2 + (this.deps.random ?? Math.random)() * (step / 2);
    const asked = result.retryAfterSeconds !== undefined ? Math.min(this.options.retryMaxMs, result.retryAfterSeconds * 1000) : 0;
    return Math.round(Math.max(jittered, asked));
  }

  private async record(delivery: Delivery, outcome: Outcome, final: boolean, result: AttemptResult, attempt = delivery.attempt): Promise<void> {
    try {
      await this.deps.ledger.append({
        kind: "notification",
        approval_request_id: delivery.requestId,
        delivery_id: delivery.id,
        channel: { name: delivery.hook.name, format: delivery.hook.format, origin: webhookOrigin(delivery.hook.url) },
        attempt: Math.max(1, attempt),
        outcome,
        final,
        ...(result.status !== undefined ? { status: result.status } : {}),
        ...(result.error !== undefined ? { error: result.error } : {}),
        ...(outcome !== "dropped" ? { duration_ms: Math.round(result.durationMs * 10) / 10 } : {}),
        correlation: { parent_decision_id: delivery.decisionId },
      });
    } catch (err) {
      (this.deps.warn ?? ((line: string) => process.emitWarning(line)))(`notification ${delivery.id} (${delivery.hook.name}, attempt ${attempt}) could not be recorded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
