// The sinks a long-running process streams the ledger to, each followed on its own so one down sink delays no other.
import type { LedgerStore } from "../store/index.js";
import { LedgerFollower, type Positions, type Sink, type SinkStatus } from "./follower.js";
import { NatsSink, type NatsSinkOptions } from "./nats-sink.js";
import { OtlpSink, type OtlpSinkOptions } from "./otlp-sink.js";

export interface StreamingOptions {
  nats?: Omit<NatsSinkOptions, "origin">;
  otlp?: Omit<OtlpSinkOptions, "origin">;
  maxBacklog: number;
  pollMs: number;
  maxRetryMs: number;
  log: (line: string) => void;
}

/** How long closing waits for a send in progress before giving it up (it is sent again on the next start). */
const CLOSE_GRACE_MS = 2000;

export class Streams {
  private readonly followers: LedgerFollower[];

  constructor(followers: LedgerFollower[]) {
    this.followers = followers;
    for (const follower of followers) follower.start();
  }

  status(): SinkStatus[] {
    return this.followers.map((follower) => follower.status());
  }

  async close(): Promise<void> {
    await Promise.all(this.followers.map((follower) => follower.stop(CLOSE_GRACE_MS)));
  }
}

/** Starts a follower per configured sink; undefined when none is configured. */
export function startStreams(store: LedgerStore, positions: Positions, origin: string, options: StreamingOptions): Streams | undefined {
  const sinks: Sink[] = [];
  if (options.nats !== undefined) sinks.push(new NatsSink({ ...options.nats, origin }));
  if (options.otlp !== undefined) sinks.push(new OtlpSink({ ...options.otlp, origin }));
  if (sinks.length === 0) return undefined;
  const { maxBacklog, pollMs, maxRetryMs, log } = options;
  return new Streams(sinks.map((sink) => new LedgerFollower({ sink, store, positions, maxBacklog, pollMs, maxRetryMs, log })));
}
