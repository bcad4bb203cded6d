// The `stream` settings as the options of the ledger's outside sinks.
import type { StreamingOptions } from "../stream/index.js";
import type { Settings } from "./settings/index.js";

/** Undefined when no sink is turned on, so a process that streams nothing starts no follower. */
export function streamingOptions(settings: Settings["stream"], log: (line: string) => void): StreamingOptions | undefined {
  if (settings.nats_url === null) return undefined;
  return {
    nats: {
      servers: settings.nats_url,
      subjectPrefix: settings.nats_subject_prefix,
      stream: settings.nats_stream,
      ackTimeoutMs: settings.ack_timeout,
      ...(settings.nats_token !== null ? { token: settings.nats_token } : {}),
    },
    maxBacklog: settings.max_backlog,
    pollMs: settings.poll_interval,
    maxRetryMs: settings.max_retry,
    log,
  };
}
