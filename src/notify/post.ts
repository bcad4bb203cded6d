// One attempt to POST a body to a webhook: how it ended, never the URL in any message.
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signBody } from "./sign.js";
import type { Webhook } from "./webhook.js";

export const DELIVERY_HEADER = "x-arbiter-delivery";
export const EVENT_HEADER = "x-arbiter-event";
/** The delivery id again, under the name receivers that deduplicate retries look for (IETF draft-ietf-httpapi-idempotency-key-header). */
export const IDEMPOTENCY_HEADER = "idempotency-key";

export interface AttemptResult {
  ok: boolean;
  /** Whether another attempt may succeed: no answer, a timeout, 408, 425, 429 or 5xx. */
  retryable: boolean;
  status?: number;
  error?: string;
  /** Seconds the receiver asked to wait (Retry-After on 429 or 503). */
  retryAfterSeconds?: number;
  durationMs: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429]);

function failureOf(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "Arbiter stopped during the attempt";
  // undici's "fetch failed" carries the reason in its cause (ECONNREFUSED, ENOTFOUND…); its message may name the URL, so only the code is kept.
  const code = (err as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" ? `network error ${code}` : "network error";
}

function retryAfter(header: string | null): number | undefined {
  if (header === null || !/^\d{1,6}$/.test(header.trim())) return undefined;
  return Number(header.trim());
}

export async function postOnce(hook: Webhook, body: string, headers: { delivery: string; event: string }, timeoutMs: number, stop: AbortSignal, clock: () => number = Date.now): Promise<AttemptResult> {
  const started = performance.now();
  const timestamp = Math.floor(clock() / 1000);
  const signature: Record<string, string> = hook.secret !== undefined ? { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: signBody(hook.secret, timestamp, body) } : {};
  try {
    const res = await fetch(hook.url, {
      method: "POST",
      body,
      // A redirect is not followed: it could carry the body to a host nobody configured.
      redirect: "manual",
      headers: { "content-type": "application/json", "user-agent": "Arbiter-Notify/1", [DELIVERY_HEADER]: headers.delivery, [IDEMPOTENCY_HEADER]: headers.delivery, [EVENT_HEADER]: headers.event, ...signature },
      signal: AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]),
    });
    // The answer's body is not wanted, and unread it would hold the connection.
    await res.body?.cancel().catch(() => undefined);
    const durationMs = performance.now() - started;
    if (res.status >= 200 && res.status < 300) return { ok: true, retryable: false, status: res.status, durationMs };
    const after = res.status === 429 || res.status === 503 ? retryAfter(res.headers.get("retry-after")) : undefined;
    return {
      ok: false,
      retryable: res.status >= 500 || RETRYABLE_STATUS.has(res.status),
      status: res.status,
      error: res.status >= 300 && res.status < 400 ? `the receiver answered ${res.status} (a redirect, not followed)` : `the receiver answered ${res.status}`,
      ...(after !== undefined ? { retryAfterSeconds: after } : {}),
      durationMs,
    };
  } catch (err) {
    return { ok: false, retryable: !stop.aborted, error: failureOf(err, timeoutMs), durationMs: performance.now() - started };
  }
}
