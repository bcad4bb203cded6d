// Builds the HTTP enforcement of one data directory: its routes file, caller resolution and the checks over a decision point.
import { join } from "node:path";
import type { DecisionPoint } from "../decision-point/index.js";
import { CallerResolver } from "./callers.js";
import { HttpEnforcer } from "./check.js";
import { ROUTES_FILE } from "./routes-file.js";
import { RoutesSource, type RoutesChange } from "./routes-source.js";

export interface HttpEnforcementOptions {
  /** The routes file; default `routes.yaml` in the data directory. */
  routesFile?: string;
  /** How often the routes file is looked at for changes. */
  reloadMs?: number;
  unauthenticatedPerSecond?: number;
}

export interface HttpEnforcementDeps {
  dir: string;
  /** The data directory's token issuer: tokens it signed are Arbiter's own. */
  issuer: string;
  point: DecisionPoint;
  log: (line: string) => void;
  /** Told of every routes load and refused change, after it was logged (serve records it in the ledger). */
  onRoutesChange?: (change: RoutesChange) => void;
  now?: () => Date;
}

export function openHttpEnforcement(deps: HttpEnforcementDeps, options: HttpEnforcementOptions = {}): HttpEnforcer {
  const routes = new RoutesSource(options.routesFile ?? join(deps.dir, ROUTES_FILE), {
    ...(options.reloadMs !== undefined ? { reloadMs: options.reloadMs } : {}),
    onChange: (change) => {
      deps.log(change.ok ? `arbiter http: routes ${change.path} loaded (${change.routes} routes, ${change.version ?? ""})` : `arbiter http: routes ${change.path} not loaded, ${change.version ? `keeping ${change.version}` : "every request is NO_ROUTE"}: ${change.error ?? ""}`);
      deps.onRoutesChange?.(change);
    },
  });
  return new HttpEnforcer({
    point: deps.point,
    routes,
    callers: new CallerResolver(deps.dir, deps.issuer),
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
    ...(options.unauthenticatedPerSecond !== undefined ? { unauthenticatedPerSecond: options.unauthenticatedPerSecond } : {}),
  });
}
