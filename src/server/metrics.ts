// Prometheus metrics of the decision point and the ledger.
import { Counter, Histogram, Registry, collectDefaultMetrics, Gauge } from "prom-client";
import type { Runtime } from "../runtime/index.js";

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
  return { registry, decisions, decisionSeconds, httpRequests };
}
