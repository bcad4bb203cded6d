// Liveness, readiness detail and Prometheus metrics.
import type { RoutesStatus } from "../../enforce/http/index.js";
import type { ServerContext } from "../context.js";

export interface HealthParts {
  /** The HTTP routes file in force, and why a change on disk was not taken. */
  routes: () => RoutesStatus;
}

export function healthRoutes({ app, runtime, metrics }: ServerContext, parts: HealthParts): void {
  app.get("/healthz", {
    schema: { tags: ["operations"], summary: "Health of the decision point and its ledger" },
    handler: (_request, reply) => {
      const checkpoint = runtime.ledger.latestCheckpoint();
      const version = runtime.policies.activeVersion();
      const routes = parts.routes();
      const body = {
        // A refused routes change keeps the last good routes serving: degraded, not down.
        status: version && !routes.error ? "ok" : "degraded",
        policy_version: version,
        ledger: {
          origin: runtime.ledger.origin,
          size: runtime.ledger.size(),
          checkpoint_size: checkpoint?.size ?? 0,
          checkpoint_age_seconds: checkpoint ? Math.round((Date.now() - Date.parse(checkpoint.signedAt)) / 1000) : null,
        },
        http: { routes },
      };
      // Without an active policy every decision would fail; say so to load balancers.
      return reply.status(version ? 200 : 503).send(body);
    },
  });

  app.get("/metrics", {
    schema: { tags: ["operations"], summary: "Prometheus metrics" },
    handler: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  });
}
