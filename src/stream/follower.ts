// Follows the ledger by index into one outside sink: reads durable entries from the persisted position,
// sends them, and moves the position only over what the sink acknowledged. Decisions never wait on it.
import type { LedgerStore } from "../store/index.js";
import { readEntries, type OutgoingEntry } from "./entry.js";

/** An outside destination of ledger entries (NATS JetStream, an OTLP collector). */
export interface Sink {
  /** Names the sink's position row and its metrics. */
  readonly name: string;
  /** Connects and prepares the destination (creates or checks the stream); throws to be retried later. */
  open(): Promise<void>;
  /** Sends entries in index order; resolves with how many from the first were acknowledged. Throws when none were. */
  send(entries: readonly OutgoingEntry[]): Promise<number>;
  close(): Promise<void>;
}

export interface Positions {
  next(sink: string): number;
  advance(sink: string, next: number, at: Date): void;
}

export interface FollowerOptions {
  sink: Sink;
  store: Pick<LedgerStore, "size" | "sync" | "entries">;
  positions: Positions;
  /** Most entries held in memory at once, read but not yet acknowledged. */
  maxBacklog: number;
  /** How often the ledger is looked at when the sink has caught up. */
  pollMs: number;
  /** The longest wait between attempts while the sink fails (the wait doubles from FIRST_RETRY_MS). */
  maxRetryMs: number;
  /** One line when a sink starts failing and one when it recovers: never a secret (no URL, no header). */
  log: (line: string) => void;
  now?: () => Date;
}

export interface SinkStatus {
  sink: string;
  /** Durable entries in the ledger the sink has not acknowledged. */
  backlog: number;
  /** Entries read from the ledger and held in memory, waiting for the sink. */
  inFlight: number;
  published: number;
  failures: number;
  /** The highest index the sink acknowledged, -1 before the first. */
  lastPublishedIndex: number;
}

const FIRST_RETRY_MS = 250;

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class LedgerFollower {
  private readonly options: FollowerOptions;
  private readonly now: () => Date;
  private next: number;
  private inFlight = 0;
  private published = 0;
  private failures = 0;
  private retryMs = 0;
  private opened = false;
  private failing = false;
  private stopped = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(options: FollowerOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
    this.next = options.positions.next(options.sink.name);
  }

  get name(): string {
    return this.options.sink.name;
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Looks at the ledger now instead of at the next poll (new entries were acknowledged). */
  wake(): void {
    this.wakeUp?.();
  }

  status(): SinkStatus {
    let size = this.next;
    try {
      size = this.options.store.size();
    } catch {
      // A closed or failing store: the backlog is what the sink was last known to miss.
    }
    return {
      sink: this.name,
      backlog: Math.max(0, size - this.next),
      inFlight: this.inFlight,
      published: this.published,
      failures: this.failures,
      lastPublishedIndex: this.next - 1,
    };
  }

  /** Stops following; a send still running is given up to `graceMs` to finish (its entries are sent again on restart otherwise). */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    await this.options.sink.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let wait: number;
      try {
        wait = (await this.round()) ? 0 : this.options.pollMs;
        if (this.failing) this.options.log(`stream ${this.name}: delivering again from index ${this.next}`);
        this.failing = false;
        this.retryMs = 0;
      } catch (err) {
        this.failures++;
        this.opened = false;
        this.retryMs = Math.min(this.options.maxRetryMs, this.retryMs === 0 ? FIRST_RETRY_MS : this.retryMs * 2);
        wait = this.retryMs;
        if (!this.failing) this.options.log(`stream ${this.name}: ${reason(err)}; ${this.status().backlog} entries wait in the ledger, retrying with backoff up to ${this.options.maxRetryMs} ms`);
        this.failing = true;
      } finally {
        this.inFlight = 0;
      }
      if (wait > 0) await this.sleep(wait);
    }
  }

  /** One read-send-acknowledge round; false when there was nothing to send. */
  private async round(): Promise<boolean> {
    const { sink, store, positions } = this.options;
    if (!this.opened) {
      await sink.open();
      this.opened = true;
    }
    const size = store.size();
    if (this.next >= size) return false;
    // Entries below `size` are committed; once this sync returns they are on stable storage too, so
    // nothing leaves that a power loss could take back and a later record could reuse the index of.
    await store.sync();
    const batch = readEntries(store, this.next, Math.min(size, this.next + this.options.maxBacklog));
    if (batch.length === 0) throw new Error(`ledger entry ${this.next} cannot be read; run \`arbiter log verify\``);
    this.inFlight = batch.length;
    const acknowledged = Math.min(batch.length, Math.max(0, await sink.send(batch)));
    if (acknowledged > 0) {
      this.next += acknowledged;
      this.published += acknowledged;
      positions.advance(sink.name, this.next, this.now());
    }
    if (acknowledged < batch.length) throw new Error(`${batch.length - acknowledged} of ${batch.length} entries from index ${this.next} were not acknowledged`);
    return true;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }
}
