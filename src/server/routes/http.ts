// Machine-API enforcement mounted on the server: forward-auth, the routes file's health, and its load records.
import { basename } from "node:path";
import { LocalDecisionPoint } from "../../enforce/decision-point/index.js";
import { openHttpEnforcement, type HttpEnforcementOptions, type HttpEnforcer, type RoutesChange } from "../../enforce/http/index.js";
import type { ServerContext } from "../context.js";
import { forwardAuthRoutes } from "./forward-auth.js";

/** Every routes load and refused change is evidence: which mapping of requests onto actions was in force when. */
function routesEvent(change: RoutesChange): Record<string, unknown> {
  return {
    kind: "event",
    source: "arbiter-http-routes",
    subject: { id: "arbiter", type: "workload" },
    action: change.ok ? "routes_loaded" : "routes_refused",
    resource: { id: basename(change.path), type: "RoutesFile" },
    outcome: change.ok ? "allow" : "error",
    note: change.ok ? `${change.routes} routes in force` : `the routes file was not loaded, ${change.version ? `${change.version} stays in force` : "no routes are in force"}: ${change.error ?? ""}`.slice(0, 4096),
    attributes: { path: change.path, version: change.version, routes: change.routes },
  };
}

export function httpRoutes(context: ServerContext, options: HttpEnforcementOptions = {}): HttpEnforcer {
  const { app, runtime, metrics } = context;
  const point = new LocalDecisionPoint(runtime, {
    observe: (decision, seconds) => {
      metrics.decisions.inc({ outcome: decision.outcome, reason_code: decision.reason_code });
      metrics.decisionSeconds.observe({ outcome: decision.outcome }, seconds);
    },
  });
  const http = openHttpEnforcement(
    {
      dir: runtime.dir,
      issuer: runtime.config.origin,
      point,
      log: (line) => app.log.warn(line),
      onRoutesChange: (change) => void runtime.ledger.append(routesEvent(change)).catch((err: unknown) => app.log.error({ err }, "the routes change could not be recorded")),
      now: runtime.now,
    },
    options,
  );
  forwardAuthRoutes(context, http);
  return http;
}
