// NATS JetStream sink: one message per ledger entry on `<prefix>.<kind>`, the leaf bytes as payload,
// the ledger index as Nats-Msg-Id so the stream (and any consumer) drops a second copy.
import { createRequire } from "node:module";
import type * as Nats from "nats";
import type { JetStreamClient, NatsConnection } from "nats";
import type { OutgoingEntry } from "./entry.js";
import type { Sink } from "./follower.js";

export interface NatsSinkOptions {
  /** nats://host:port, or several separated by commas. */
  servers: string;
  /** Subjects are `<prefix>.<kind>`; the stream captures `<prefix>.>`. */
  subjectPrefix: string;
  stream: string;
  /** The ledger's origin line, sent as a header so a consumer can tell ledgers apart. */
  origin: string;
  /** A NATS token, when the server asks for one (never logged). */
  token?: string;
  /** How long one publish waits for the stream's acknowledgement. */
  ackTimeoutMs: number;
}

/** Entries whose kind is not a known record kind are published here, never under a name the leaf chose. */
export const UNKNOWN_KIND_SUBJECT = "unknown";

/** JetStream's API error code for a stream that does not exist (nats-server errors.json JSStreamNotFoundErr). */
const STREAM_NOT_FOUND = 10059;

const HEADER_SAFE = /^[\x20-\x7e]{1,512}$/;

// Required when the sink opens, not imported: every process that opens a data directory reaches this
// module, and loading the NATS client costs ≈ 50 ms whether or not a NATS sink is configured.
const requireLazily = createRequire(import.meta.url);
const natsClient = (): typeof Nats => requireLazily("nats") as typeof Nats;

function isStreamNotFound(err: unknown): boolean {
  return (err as { api_error?: { err_code?: number } } | undefined)?.api_error?.err_code === STREAM_NOT_FOUND;
}

export function subjectOf(prefix: string, entry: Pick<OutgoingEntry, "kind">): string {
  return `${prefix}.${entry.kind ?? UNKNOWN_KIND_SUBJECT}`;
}

export class NatsSink implements Sink {
  readonly name = "nats";
  private readonly options: NatsSinkOptions;
  private connection: NatsConnection | undefined;
  private js: JetStreamClient | undefined;

  constructor(options: NatsSinkOptions) {
    this.options = options;
  }

  async open(): Promise<void> {
    const { servers, token, ackTimeoutMs } = this.options;
    if (this.connection === undefined || this.connection.isClosed()) {
      // The client reconnects by itself for as long as the process runs; the follower retries the first connect.
      this.connection = await natsClient().connect({
        servers: servers.split(",").map((s) => s.trim()),
        name: "arbiter-stream",
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: ackTimeoutMs,
        // Each publish is a request for its ack; capturing a stack trace for each (the default) cost
        // 5.6% of the process's CPU while catching up (bench:stream profile), for traces nobody reads.
        noAsyncTraces: true,
        ...(token !== undefined ? { token } : {}),
      });
    }
    await this.ensureStream(this.connection);
    this.js = this.connection.jetstream({ timeout: ackTimeoutMs });
  }

  /** Creates the stream if it is missing; refuses one that exists but does not capture `<prefix>.>`. */
  private async ensureStream(connection: NatsConnection): Promise<void> {
    const { stream, subjectPrefix, ackTimeoutMs } = this.options;
    const wanted = `${subjectPrefix}.>`;
    const jsm = await connection.jetstreamManager({ timeout: ackTimeoutMs });
    try {
      const info = await jsm.streams.info(stream);
      if (!info.config.subjects.includes(wanted)) {
        throw new Error(`the JetStream stream ${stream} exists but does not capture ${wanted} (it captures ${info.config.subjects.join(", ") || "nothing"}); add the subject or choose another stream`);
      }
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
      await jsm.streams.add({ name: stream, subjects: [wanted], storage: natsClient().StorageType.File });
    }
  }

  async send(entries: readonly OutgoingEntry[]): Promise<number> {
    const js = this.js;
    if (js === undefined) throw new Error("not connected to NATS");
    const { subjectPrefix, stream, origin } = this.options;
    const natsHeaders = natsClient().headers;
    const settled = await Promise.allSettled(
      entries.map((entry) => {
        const h = natsHeaders();
        h.set("Arbiter-Ledger-Index", String(entry.index));
        h.set("Arbiter-Leaf-Hash", entry.leafHash);
        if (HEADER_SAFE.test(origin)) h.set("Arbiter-Ledger-Origin", origin);
        return js.publish(subjectOf(subjectPrefix, entry), entry.data, { msgID: String(entry.index), expect: { streamName: stream }, headers: h });
      }),
    );
    const firstFailure = settled.findIndex((result) => result.status === "rejected");
    if (firstFailure === 0) {
      const failed = settled[0] as PromiseRejectedResult;
      throw new Error(`NATS did not acknowledge index ${entries[0]?.index ?? "?"}: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`);
    }
    return firstFailure === -1 ? entries.length : firstFailure;
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.js = undefined;
    if (connection !== undefined && !connection.isClosed()) await connection.close();
  }
}
