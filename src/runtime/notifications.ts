// Wires approver notifications to a runtime: every approval request its engine opens is sent to the configured webhooks.
import { ApproverNotifier } from "../notify/index.js";
import type { Settings } from "./settings/index.js";
import type { Runtime } from "./index.js";

/** The longest wait between two attempts of one delivery. */
const RETRY_MAX_MS = 300_000;

export interface Notifications {
  notifier: ApproverNotifier;
  /** Stops listening and ends the deliveries still queued (each recorded); call before the runtime closes. */
  close(): Promise<void>;
}

/**
 * Starts notifications on `runtime` from the `notify` settings. `fallbackUrl` gives the server's own
 * address (once it listens), which stands for the console when no public URL is set; with neither,
 * notifications say how to approve from the command line.
 */
export function startNotifications(runtime: Pick<Runtime, "engine" | "ledger">, settings: Settings["notify"], fallbackUrl?: () => string | undefined, warn?: (line: string) => void): Notifications {
  const configured = settings.public_url;
  const publicUrl = configured !== null ? () => configured : fallbackUrl;
  const notifier = new ApproverNotifier(
    { ledger: runtime.ledger, ...(warn ? { warn } : {}) },
    {
      webhooks: settings.webhooks,
      ...(publicUrl !== undefined ? { publicUrl } : {}),
      timeoutMs: settings.timeout,
      maxAttempts: settings.max_attempts,
      queueSize: settings.queue_size,
      retryBaseMs: settings.retry_base,
      retryMaxMs: RETRY_MAX_MS,
    },
  );
  const stop = settings.webhooks.length > 0 ? runtime.engine.onApprovalOpened((opened) => notifier.notify(opened)) : () => undefined;
  return {
    notifier,
    close: async () => {
      stop();
      await notifier.close();
    },
  };
}
