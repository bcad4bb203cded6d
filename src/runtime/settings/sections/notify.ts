// `notify`: approver notifications, the webhooks told when an approval request opens (`arbiter serve` and `arbiter mcp wrap`).
import { z } from "zod";
import { describeWebhook, webhooksSchema, webhookUrlSchema, type Webhook } from "../../../notify/index.js";
import { duration, integer, type Kind } from "../kinds.js";
import { section, setting } from "../setting.js";

/** Each problem of a webhooks value by its place, never the value itself: it may hold a signing secret. */
function webhookProblems(value: unknown): string {
  const parsed = webhooksSchema.safeParse(value);
  if (parsed.success) return "a valid list";
  // Paths such as 0.url: the webhook's place in the list and the field.
  return parsed.error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join(".") : "the list"}: ${issue.message}`).join("; ");
}

function webhooks(): Kind<Webhook[]> {
  return {
    schema: webhooksSchema,
    allowed: "a list of webhooks, each with name, url (http or https, no user name or password in it), format (json or slack, default json) and optionally secret (16 characters or more, to sign each body)",
    // In a variable, the same list as JSON.
    fromText: (text) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    },
    format: (hooks) => (hooks.length === 0 ? "(none)" : hooks.map(describeWebhook).join("; ")),
    show: webhookProblems,
  };
}

function publicUrl(): Kind<string | null> {
  return {
    schema: z.union([z.literal("off").transform(() => null), z.null(), webhookUrlSchema]),
    allowed: "off, or the http or https URL people open the console at, such as https://arbiter.example.com",
    fromText: (t) => (t.trim() === "off" ? null : t.trim()),
    format: (v) => v ?? "off",
  };
}

export const notify = section("Approver notifications: webhooks told when an approval request opens.", {
  webhooks: setting(webhooks(), {
    default: [] as Webhook[],
    doc: "Webhooks POSTed to when an approval request opens, with the exact call (arguments masked), who asked, the policy's note and a link to approve; each attempt is a `notification` record. In a variable: the list as JSON.",
    env: "ARBITER_NOTIFY_WEBHOOKS",
  }),
  public_url: setting(publicUrl(), {
    default: null,
    doc: "The console's public base URL, for the approve link (`URL/#/approvals/ID`); off: `arbiter serve` links to its own listen address, `mcp wrap` sends no link.",
    env: "ARBITER_PUBLIC_URL",
  }),
  timeout: setting(duration({ bare: "s", min: 100, max: 60_000 }), {
    default: 5000,
    doc: "How long one delivery attempt waits for the receiver's answer before it counts as failed.",
    env: "ARBITER_NOTIFY_TIMEOUT",
  }),
  max_attempts: setting(integer(1, 20), {
    default: 6,
    doc: "Attempts per delivery (the first and its retries) before it is given up; only no answer, a timeout, 408, 425, 429 and 5xx are retried.",
    env: "ARBITER_NOTIFY_MAX_ATTEMPTS",
  }),
  retry_base: setting(duration({ bare: "s", min: 10, max: 600_000 }), {
    default: 2000,
    doc: "The first retry waits between half this and this; each next one twice as long (with jitter), at most 5 minutes.",
    env: "ARBITER_NOTIFY_RETRY_BASE",
  }),
  queue_size: setting(integer(1, 100_000), {
    default: 1000,
    doc: "Most deliveries the outbox of the data directory holds at once (waiting, in flight or between attempts); one more is not sent and is recorded as dropped.",
    env: "ARBITER_NOTIFY_QUEUE_SIZE",
  }),
});
