// Wires approver notifications to a runtime: every approval request its engine opens is written to the outbox of the data directory, and a delivering process sends it to the configured webhooks.
import { ApproverNotifier } from "../notify/index.js";
import type { Settings } from "./settings/index.js";
import type { Runtime } from "./index.js";

/** The longest wait between two attempts of one delivery. */
const RETRY_MAX_MS = 300_000;

export interface Notifications {
  notifier: ApproverNotifier;
  /** Stops listening and cuts short the attempts in flight (each recorded); what is left stays in the outbox. Call before the runtime closes. */
  close(): Promise<void>;
}

export interface NotificationOptions {
  /** The server's own address (once it listens), standing for the console when no public URL is set. */
  fallbackUrl?: () => string | undefined;
  warn?: (line: string) => void;
  /**
   * Whether this process delivers from the outbox (`serve`, `mcp wrap`) or only writes to it
   * (`arbiter decide`, which ends before a POST could; a delivering process or `arbiter notify deliver` sends it). Default true.
   */
  deliver?: boolean;
  /** How often a delivering process looks for deliveries another process wrote (default 1 s). */
  pollMs?: number;
  /** How old a delivery for a webhook no longer configured must be to be dropped (default one hour; tests make it short). */
  orphanGraceMs?: number;
}

/** The notifier of `runtime`'s data directory, from the `notify` settings, neither listening nor delivering yet. */
export function approverNotifier(runtime: Pick<Runtime, "ledger" | "store">, settings: Settings["notify"], options: NotificationOptions = {}): ApproverNotifier {
  const configured = settings.public_url;
  const publicUrl = configured !== null ? () => configured : options.fallbackUrl;
  return new ApproverNotifier(
    { ledger: runtime.ledger, outbox: runtime.store.notifyOutbox, ...(options.warn ? { warn: options.warn } : {}) },
    {
      webhooks: settings.webhooks,
      ...(publicUrl !== undefined ? { publicUrl } : {}),
      timeoutMs: settings.timeout,
      maxAttempts: settings.max_attempts,
      queueSize: settings.queue_size,
      retryBaseMs: settings.retry_base,
      retryMaxMs: RETRY_MAX_MS,
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
      ...(options.orphanGraceMs !== undefined ? { orphanGraceMs: options.orphanGraceMs } : {}),
    },
  );
}

/**
 * Starts notifications on `runtime` from the `notify` settings: each approval request its engine
 * opens is written to the outbox, and (unless `deliver` is false) this process delivers the
 * outbox's deliveries, an earlier process's left-overs included.
 */
export function startNotifications(runtime: Pick<Runtime, "engine" | "ledger" | "store">, settings: Settings["notify"], options: NotificationOptions = {}): Notifications {
  const notifier = approverNotifier(runtime, settings, options);
  const stop = settings.webhooks.length > 0 ? runtime.engine.onApprovalOpened((opened) => notifier.notify(opened)) : () => undefined;
  // Without webhooks it still delivers nothing, but drops what removed webhooks left in the outbox.
  if (options.deliver !== false) notifier.start();
  return {
    notifier,
    close: async () => {
      stop();
      await notifier.close();
    },
  };
}
