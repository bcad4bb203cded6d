// Liveness, readiness detail and Prometheus metrics.
import type { EnforcementRecordsStatus, RoutesStatus } from "../../enforce/http/index.js";
import type { ServerContext } from "../context.js";
import { PROBLEM_CONTENT_TYPE, problem } from "../problem.js";

export interface HealthParts {
  /** The HTTP routes file in force, and why a change on disk was not taken. */
  routes: () => RoutesStatus;
  /** Enforcement records the HTTP doors append behind their answers, and those that could not be. */
  enforcementRecords: () => EnforcementRecordsStatus;
}

export function healthRoutes({ app, runtime, metrics }: ServerContext, parts: HealthParts): void {
  app.get("/healthz", {
    schema: { tags: ["operations"], summary: "Health of the decision point and its ledger" },
    handler: (_request, reply) => {
      const checkpoint = runtime.ledger.latestCheckpoint();
      const version = runtime.policies.activeVersion();
      const routes = parts.routes();
      const records = parts.enforcementRecords();
      const verify = runtime.watch?.status();
      const body = {
        // A refused routes change keeps the last good routes serving, and a forwarded request whose
        // enforcement record could not be appended still had its decision recorded: degraded, not down.
        status: version && !routes.error && records.failed === 0 ? "ok" : "degraded",
        policy_version: version,
        ledger: {
          origin: runtime.ledger.origin,
          size: runtime.ledger.size(),
          checkpoint_size: checkpoint?.size ?? 0,
          checkpoint_age_seconds: checkpoint ? Math.round((Date.now() - Date.parse(checkpoint.signedAt)) / 1000) : null,
        },
        http: { routes, enforcement_records: records },
        ...(verify ? { verify } : {}),
      };
      // The ledger was found edited, truncated, deleted or replaced under this process: recording has
      // stopped (Ledger.halt), so no decision can be made; say what failed to whoever watches.
      if (verify?.problem) {
        const failed = problem("LEDGER_CORRUPT", `the background verify found the ledger unsafe (${verify.problem.check}): ${verify.problem.message}`, { ...body, status: 503, health: "degraded" });
        return reply.status(503).type(PROBLEM_CONTENT_TYPE).send(failed);
      }
      // Without an active policy every decision would fail; say so to load balancers.
      return reply.status(version ? 200 : 503).send(body);
    },
  });

  app.get("/metrics", {
    schema: { tags: ["operations"], summary: "Prometheus metrics" },
    handler: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
}
