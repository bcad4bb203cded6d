// A configured webhook: where approver notifications go, in which body format, signed with which secret.
import { z } from "zod";

export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Shorter secrets are refused: an HMAC key a receiver could guess proves nothing. */
export const MIN_SECRET_LENGTH = 16;

/** A URL a webhook may use: http or https, no user name or password in it (a credential there would be logged and sent along by proxies). */
export const webhookUrlSchema = z.string().min(1).max(2048).superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be an absolute http or https URL" });
    return;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") ctx.addIssue({ code: "custom", message: `must use http or https, not ${url.protocol.replace(/:$/, "")}` });
  if (url.username !== "" || url.password !== "") ctx.addIssue({ code: "custom", message: "must not hold a user name or password; give a secret to sign with instead" });
  if (url.hash !== "") ctx.addIssue({ code: "custom", message: "must not have a #fragment" });
});

export const webhookSchema = z.strictObject({
  /** How records and `arbiter config show` name the webhook (its URL is never printed whole). */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1 to 64 letters, digits, dots, dashes or underscores"),
  url: webhookUrlSchema,
  format: z.enum(WEBHOOK_FORMATS).default("json"),
  /** Key of the HMAC-SHA256 signature of each body (X-Arbiter-Signature-256); never sent itself. */
  secret: z.string().min(MIN_SECRET_LENGTH, `must have at least ${MIN_SECRET_LENGTH} characters`).max(512).optional(),
});

export type Webhook = z.output<typeof webhookSchema>;

export const webhooksSchema = z.array(webhookSchema).max(32).superRefine((hooks, ctx) => {
  const seen = new Set<string>();
  for (const [i, hook] of hooks.entries()) {
    if (seen.has(hook.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `names the webhook ${hook.name} twice` });
    seen.add(hook.name);
  }
});

/**
 * The webhook's URL as it may be shown or recorded: scheme, host and port. The path and query are
 * left out, since a webhook URL often is its own credential (a Slack incoming webhook's path is).
 */
export function webhookOrigin(url: string): string {
  return new URL(url).origin;
}

/** How `arbiter config show` prints a webhook: name, origin, format, whether it is signed. */
export function describeWebhook(hook: Webhook): string {
  return `${hook.name} ${webhookOrigin(hook.url)} (${hook.format}${hook.secret !== undefined ? ", signed" : ""})`;
}
