// Approver notifications: one delivery per webhook for each opened approval, written to the outbox of the data directory, delivered with backoff and jitter, every attempt recorded.
import { randomUUID } from "node:crypto";
import type { ApprovalOpened } from "../decide/index.js";
import type { Ledger } from "../ledger/index.js";
import type { NotifyOutboxRepository, OutboxDelivery, OutboxEntry, StoreEffect } from "../store/index.js";
import { approvalMessage, APPROVAL_EVENT, renderBody } from "./message.js";
import { dropOrphans, ORPHAN_GRACE_MS } from "./orphans.js";
import { postOnce, type AttemptResult } from "./post.js";
import { webhookOrigin, type Webhook } from "./webhook.js";

export interface NotifierOptions {
  webhooks: readonly Webhook[];
  /** The console's public base URL, for the approve link, asked at each notification (a server knows its address once it listens); without one the body says how to approve from the command line. */
  publicUrl?: () => string | undefined;
  timeoutMs: number;
  maxAttempts: number;
  /** Most deliveries the outbox holds at once; one more is recorded as dropped. */
  queueSize: number;
  /** The first retry waits about this long, each next one twice as long, up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How often a delivering process looks for deliveries another process wrote (`arbiter decide`); default 1 s. */
  pollMs?: number;
  /** How old a delivery for a webhook not configured here must be to be dropped (default ORPHAN_GRACE_MS). */
  orphanGraceMs?: number;
}

export type NotifyOutbox = Pick<NotifyOutboxRepository, "enqueue" | "claim" | "claimOrphans" | "retryAt" | "pendingFor" | "nextDueMs">;

export interface NotifierDeps {
  ledger: Pick<Ledger, "append">;
  outbox: NotifyOutbox;
  /** Jitter's source (tests make it fixed). */
  random?: () => number;
  /** Where a record or an outbox change that failed is reported. */
  warn?: (line: string) => void;
}

/** At most this many POSTs at once, so a slow receiver cannot take every socket. */
const CONCURRENCY = 4;
/** A delivery is held this much longer than an attempt may take, so no other process takes it during one. */
const LEASE_MARGIN_MS = 5_000;
/** A delivering process looks for orphaned deliveries (webhook no longer configured) this often. */
const SWEEP_EVERY_MS = 60_000;

type Outcome = "delivered" | "failed" | "dropped";

/** How one pass of `deliverDue` ended for the deliveries it tried. */
export interface DeliveryPass {
  delivered: number;
  failed: number;
  retrying: number;
}

export class ApproverNotifier {
  private readonly options: NotifierOptions;
  private readonly deps: NotifierDeps;
  private readonly hooks: Map<string, Webhook>;
  private readonly names: string[];
  private readonly owner = randomUUID();
  private readonly stop = new AbortController();
  private readonly running = new Set<Promise<unknown>>();
  private idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private delivering = false;
  private wake: NodeJS.Timeout | undefined;
  private sweptAt = Number.NEGATIVE_INFINITY;

  constructor(deps: NotifierDeps, options: NotifierOptions) {
    this.deps = deps;
    this.options = options;
    this.hooks = new Map(options.webhooks.map((hook) => [hook.name, hook]));
    this.names = [...this.hooks.keys()];
  }

  /** Deliveries to this notifier's webhooks still in the outbox (waiting, held or between attempts). */
  get pending(): number {
    return this.deps.outbox.pendingFor(this.names);
  }

  /**
   * Writes one delivery per webhook to the outbox and returns: a notification never holds up or
   * fails the decision. A process that does not deliver (`arbiter decide`) only writes; one that
   * delivers (after start()) also begins at once.
   */
  notify(opened: ApprovalOpened): void {
    if (this.stop.signal.aborted || this.options.webhooks.length === 0) return;
    const message = approvalMessage(opened, this.options.publicUrl?.());
    const createdAt = new Date().toISOString();
    const entries: OutboxEntry[] = this.options.webhooks.map((hook) => ({
      deliveryId: randomUUID(),
      webhook: hook.name,
      event: APPROVAL_EVENT,
      body: renderBody(hook.format, message),
      approvalRequestId: opened.requestId,
      decisionId: opened.decisionId,
      createdAt,
    }));
    let taken = 0;
    let error = `the notification queue is full (${this.options.queueSize} deliveries)`;
    try {
      taken = this.deps.outbox.enqueue(entries, Date.now(), this.options.queueSize);
    } catch (err) {
      error = "the notification outbox could not be written";
      this.warn(`the notifications of ${opened.requestId} could not be written to the outbox: ${messageOf(err)}`);
    }
    for (const entry of entries.slice(taken)) {
      this.track(this.record({ ...entry, attempts: 1 }, this.hooks.get(entry.webhook) as Webhook, "dropped", true, { ok: false, retryable: false, error, durationMs: 0 }, []));
    }
    if (this.delivering) this.pump();
  }

  /** Begins delivering: whatever is due now (left by an earlier process too), then each delivery as it falls due. */
  start(): void {
    if (this.delivering || this.stop.signal.aborted) return;
    this.delivering = true;
    this.pump();
  }

  /** One pass for a process that does not stay (`arbiter notify deliver`): one attempt of each delivery due now. */
  async deliverDue(): Promise<DeliveryPass> {
    const pass: DeliveryPass = { delivered: 0, failed: 0, retrying: 0 };
    await this.sweep();
    const due = this.claim(Number.MAX_SAFE_INTEGER);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length && !this.stop.signal.aborted) {
        const ended = await this.attempt(due[next++] as OutboxDelivery);
        pass[ended]++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return pass;
  }

  /** Resolves once nothing is in flight and the outbox holds nothing for this notifier's webhooks (for tests and orderly shutdown). */
  idle(): Promise<void> {
    if (this.settled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: attempts in flight are cut short and recorded; every delivery not ended stays in the outbox for the next process. */
  async close(): Promise<void> {
    this.stop.abort();
    this.delivering = false;
    clearTimeout(this.wake);
    await Promise.allSettled([...this.running]);
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private claim(limit: number): OutboxDelivery[] {
    try {
      return this.deps.outbox.claim(this.names, Date.now(), this.options.timeoutMs + LEASE_MARGIN_MS, this.owner, limit);
    } catch (err) {
      this.warn(`the notification outbox could not be read: ${messageOf(err)}`);
      return [];
    }
  }

  /** Drops deliveries for webhooks no longer configured, once they are older than the grace period (orphans.ts). */
  private async sweep(): Promise<void> {
    this.sweptAt = Date.now();
    try {
      const leaseMs = this.options.timeoutMs + LEASE_MARGIN_MS;
      await dropOrphans({ ...this.deps, webhooks: this.names, owner: this.owner, leaseMs, graceMs: this.options.orphanGraceMs ?? ORPHAN_GRACE_MS, nowMs: this.sweptAt });
    } catch (err) {
      // The lease runs out and the next sweep takes them again.
      this.warn(`deliveries for webhooks no longer configured could not be dropped: ${messageOf(err)}`);
    }
  }

  private pump(): void {
    if (!this.delivering) return;
    if (Date.now() - this.sweptAt >= SWEEP_EVERY_MS) this.track(this.sweep());
    for (const delivery of this.claim(CONCURRENCY - this.inFlight)) {
      this.inFlight++;
      this.track(this.attempt(delivery).finally(() => {
        this.inFlight--;
        this.pump();
      }));
    }
    this.schedule();
  }

  /** Wakes at the next delivery's due time, and at least every pollMs for ones other processes write. */
  private schedule(): void {
    clearTimeout(this.wake);
    if (!this.delivering) return;
    let due: number | undefined;
    try {
      due = this.deps.outbox.nextDueMs(this.names);
    } catch {
      due = undefined;
    }
    const poll = this.options.pollMs ?? 1000;
    const wait = due === undefined ? poll : Math.min(poll, Math.max(0, due - Date.now()));
    this.wake = setTimeout(() => this.pump(), wait);
    // Waiting for the next delivery does not keep a finished process alive; what is left stays in the outbox.
    this.wake.unref();
  }

  private track(work: Promise<unknown>): void {
    this.running.add(work);
    void work.finally(() => {
      this.running.delete(work);
      if (this.idleWaiters.length > 0 && this.settled()) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }

  private settled(): boolean {
    if (this.running.size !== 0) return false;
    try {
      return this.stop.signal.aborted || this.deps.outbox.pendingFor(this.names) === 0;
    } catch {
      return true;
    }
  }

  private async attempt(delivery: OutboxDelivery): Promise<keyof DeliveryPass> {
    const hook = this.hooks.get(delivery.webhook) as Webhook;
    const result = await postOnce(hook, delivery.body, { delivery: delivery.deliveryId, event: delivery.event }, this.options.timeoutMs, this.stop.signal);
    // Cut short by a stop, the attempt told nothing about the receiver: the next process tries again.
    const stopped = !result.ok && this.stop.signal.aborted;
    const retry = !result.ok && (stopped || (result.retryable && delivery.attempts < this.options.maxAttempts));
    // A final attempt leaves the outbox in its record's commit: if the record cannot be written, the
    // delivery stays, its lease runs out and it is tried again (at least once, never unrecorded).
    const finish: StoreEffect[] = retry ? [] : [{ type: "notify.finish", deliveryId: delivery.deliveryId, owner: this.owner }];
    await this.record(delivery, hook, result.ok ? "delivered" : "failed", !retry, result, finish);
    if (retry) {
      try {
        this.deps.outbox.retryAt(delivery.deliveryId, this.owner, stopped ? Date.now() : Date.now() + this.backoff(delivery.attempts, result));
      } catch (err) {
        // The lease runs out and the delivery is tried again: at least once, never lost.
        this.warn(`notification ${delivery.deliveryId} could not be updated in the outbox: ${messageOf(err)}`);
      }
    }
    return result.ok ? "delivered" : retry ? "retrying" : "failed";
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

  private async record(delivery: OutboxDelivery, hook: Webhook, outcome: Outcome, final: boolean, result: AttemptResult, effects: StoreEffect[]): Promise<void> {
    try {
      await this.deps.ledger.append(
        {
          kind: "notification",
          approval_request_id: delivery.approvalRequestId,
          delivery_id: delivery.deliveryId,
          channel: { name: hook.name, format: hook.format, origin: webhookOrigin(hook.url) },
          attempt: Math.max(1, delivery.attempts),
          outcome,
          final,
          ...(result.status !== undefined ? { status: result.status } : {}),
          ...(result.error !== undefined ? { error: result.error } : {}),
          ...(outcome !== "dropped" ? { duration_ms: Math.round(result.durationMs * 10) / 10 } : {}),
          correlation: { parent_decision_id: delivery.decisionId },
        },
        { effects },
      );
    } catch (err) {
      this.warn(`notification ${delivery.deliveryId} (${hook.name}, attempt ${delivery.attempts}) could not be recorded: ${messageOf(err)}`);
    }
  }

  private warn(line: string): void {
    (this.deps.warn ?? ((text: string) => process.emitWarning(text)))(line);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
