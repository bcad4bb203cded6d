// The `stream` settings as the options of the ledger's outside sinks.
import type { StreamingOptions } from "../stream/index.js";
import type { Settings } from "./settings/index.js";

/** `Name=value` items (checked by the setting's kind) as a header map; a repeated name keeps its last value. */
function headerMap(items: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf("=");
    map[item.slice(0, at)] = item.slice(at + 1).trim();
  }
  return map;
}

/** Undefined when no sink is turned on, so a process that streams nothing starts no follower. */
export function streamingOptions(settings: Settings["stream"], log: (line: string) => void): StreamingOptions | undefined {
  if (settings.nats_url === null && settings.otlp_endpoint === null) return undefined;
  return {
    ...(settings.nats_url !== null
      ? {
          nats: {
            servers: settings.nats_url,
            subjectPrefix: settings.nats_subject_prefix,
            stream: settings.nats_stream,
            ackTimeoutMs: settings.ack_timeout,
            ...(settings.nats_token !== null ? { token: settings.nats_token } : {}),
          },
        }
      : {}),
    ...(settings.otlp_endpoint !== null ? { otlp: { endpoint: settings.otlp_endpoint, headers: headerMap(settings.otlp_headers), timeoutMs: settings.ack_timeout } } : {}),
    maxBacklog: settings.max_backlog,
    pollMs: settings.poll_interval,
    maxRetryMs: settings.max_retry,
    log,
  };
}
