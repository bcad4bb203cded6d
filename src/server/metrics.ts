// Prometheus metrics of the decision point and the ledger.
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from "prom-client";
import type { EnforcementRecordsStatus } from "../enforce/http/index.js";
import type { Runtime, SinkStatus } from "../runtime/index.js";
import type { EventStreamStatus } from "./routes/events.js";

export interface ServerMetrics {
  registry: Registry;
  decisions: Counter<"outcome" | "reason_code">;
  decisionSeconds: Histogram<"outcome">;
  httpRequests: Counter<"method" | "route" | "status">;
}

export function createMetrics(runtime: Runtime): ServerMetrics {
  const registry = new Registry();
  // prom-client's default metrics are already named process_* and nodejs_*: the prefix is only ours.
  collectDefaultMetrics({ register: registry, prefix: "arbiter_" });
  const decisions = new Counter({ name: "arbiter_decisions_total", help: "Decisions made and recorded, by outcome and reason code.", labelNames: ["outcome", "reason_code"], registers: [registry] });
  const decisionSeconds = new Histogram({
    name: "arbiter_decision_duration_seconds",
    help: "Time from request to durable decision record.",
    labelNames: ["outcome"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const httpRequests = new Counter({ name: "arbiter_http_requests_total", help: "HTTP requests by route and status.", labelNames: ["method", "route", "status"], registers: [registry] });
  new Gauge({
    name: "arbiter_ledger_entries",
    help: "Entries in the enforcement ledger.",
    registers: [registry],
    collect() {
      this.set(runtime.ledger.size());
    },
  });
  new Gauge({
    name: "arbiter_ledger_checkpoint_size",
    help: "Tree size of the latest signed checkpoint.",
    registers: [registry],
    collect() {
      this.set(runtime.ledger.latestCheckpoint()?.size ?? 0);
    },
  });
  verifyMetrics(registry, runtime);
  streamMetrics(registry, runtime);
  return { registry, decisions, decisionSeconds, httpRequests };
}

/** The background verify of the ledger (serve): whether it holds, and how far it checked. */
function verifyMetrics(registry: Registry, runtime: Runtime): void {
  new Gauge({
    name: "arbiter_ledger_verify_ok",
    help: "1 while the background verify finds the ledger sound, 0 once it found it edited, truncated, deleted or replaced (recording stops), absent when no background verify runs.",
    registers: [registry],
    collect() {
      this.reset();
      const status = runtime.watch?.status();
      if (status) this.set(status.problem ? 0 : 1);
    },
  });
  new Gauge({
    name: "arbiter_ledger_verified_entries",
    help: "Entries whose hashes the background verify recomputed and found as stored.",
    registers: [registry],
    collect() {
      this.reset();
      const status = runtime.watch?.status();
      if (status) this.set(status.verified_entries);
    },
  });
  new Counter({
    name: "arbiter_ledger_verify_rounds_total",
    help: "Rounds of the background verify, by kind (incremental: new entries, the file and the latest checkpoint; full: everything log verify checks).",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      const status = runtime.watch?.status();
      if (status) for (const kind of ["incremental", "full"] as const) this.inc({ kind }, status.rounds[kind]);
    },
  });
}

/** Each outside sink's progress through the ledger (see docs/streaming.md), read from its follower at scrape time. */
function streamMetrics(registry: Registry, runtime: Runtime): void {
  const each = (read: (status: SinkStatus) => number) =>
    function collect(this: Gauge<"sink"> | Counter<"sink">): void {
      this.reset();
      for (const status of runtime.streams?.status() ?? []) {
        const value = read(status);
        if (this instanceof Gauge) this.set({ sink: status.sink }, value);
        else this.inc({ sink: status.sink }, value);
      }
    };
  const gauges: [string, string, (s: SinkStatus) => number][] = [
    ["arbiter_stream_backlog", "Durable ledger entries the sink has not acknowledged yet (they wait in the ledger, not in memory).", (s) => s.backlog],
    ["arbiter_stream_in_flight", "Entries read from the ledger and held in memory until the sink acknowledges them (at most stream.max_backlog).", (s) => s.inFlight],
    ["arbiter_stream_last_published_index", "Highest ledger index the sink acknowledged (-1: none yet).", (s) => s.lastPublishedIndex],
  ];
  for (const [name, help, read] of gauges) new Gauge({ name, help, labelNames: ["sink"], registers: [registry], collect: each(read) });
  new Counter({ name: "arbiter_stream_published_total", help: "Entries the sink acknowledged since this process started.", labelNames: ["sink"], registers: [registry], collect: each((s) => s.published) });
  new Counter({ name: "arbiter_stream_failures_total", help: "Failed attempts to reach or publish to the sink since this process started.", labelNames: ["sink"], registers: [registry], collect: each((s) => s.failures) });
}

/** Enforcement records the HTTP doors (reverse proxy, forward-auth) append after their answers: written, and given up on. */
export function httpEnforcementMetrics(registry: Registry, status: () => EnforcementRecordsStatus): void {
  new Counter({
    name: "arbiter_http_enforcement_records_total",
    help: "Enforcement records of HTTP requests since this process started, by result (written; failed: given up on after retries, so the decision has no enforcement record).",
    labelNames: ["result"],
    registers: [registry],
    collect() {
      this.reset();
      const now = status();
      this.inc({ result: "written" }, now.written);
      this.inc({ result: "failed" }, now.failed);
    },
  });
  new Gauge({
    name: "arbiter_http_enforcement_records_pending",
    help: "Enforcement records of answered HTTP requests not yet appended.",
    registers: [registry],
    collect() {
      this.set(status().pending);
    },
  });
}

/** The console's live event streams (GET /v1/events) of this process: open, bytes their clients owe, and ended by the server. */
export function eventStreamMetrics(registry: Registry, status: () => EventStreamStatus): void {
  new Gauge({
    name: "arbiter_event_streams",
    help: "Open event streams of this process, by topic (the limits of 4 per identity and 64 in all are per process).",
    labelNames: ["topic"],
    registers: [registry],
    collect() {
      for (const [topic, open] of Object.entries(status().open)) this.set({ topic }, open);
    },
  });
  new Gauge({
    name: "arbiter_event_stream_unsent_bytes",
    help: "Bytes written to open event streams that their clients have not read yet (a stream owing more than its bound, 256 KiB by default, is dropped).",
    registers: [registry],
    collect() {
      this.set(status().unsentBytes);
    },
  });
  new Counter({
    name: "arbiter_event_streams_dropped_total",
    help: "Event streams the server ended since it started, by reason (slow: its client owed too much; revoked: its credential no longer authenticates).",
    labelNames: ["reason"],
    registers: [registry],
    collect() {
      this.reset();
      const { dropped } = status();
      this.inc({ reason: "slow" }, dropped.slow);
      this.inc({ reason: "revoked" }, dropped.revoked);
    },
  });
}
