// The enforcement points of a serving process, built over one runtime from its settings: the doors only mount them.
import { basename } from "node:path";
import type { Decision } from "../decide/index.js";
import { LocalDecisionPoint } from "../enforce/decision-point/index.js";
import { openHttpEnforcement, type HttpEnforcementOptions, type HttpEnforcer, type RoutesChange } from "../enforce/http/index.js";
import { DEFAULT_LIMITS, McpHttpFront, readUpstreams } from "../enforce/mcp/index.js";
import { startNotifications, type Notifications } from "./notifications.js";
import type { Settings } from "./settings/index.js";
import type { Runtime } from "./index.js";

/** Where the gateways' lines go; the server points it at its own log once it has one (stderr until then). */
export interface GatewayLog {
  warn(line: string): void;
  error(fields: Record<string, unknown>, line: string): void;
  /** A line an MCP upstream wrote to its stderr. */
  upstream(name: string, line: string): void;
}

export type DecisionObserver = (decision: Decision, seconds: number) => void;

export interface GatewayOptions {
  /** The routes file of the HTTP enforcement and how often it is re-read (tests shorten it). */
  http?: HttpEnforcementOptions;
  /** The server's own address once it listens: it stands for the console in notifications when no notify.public_url is set. */
  address?: () => string | undefined;
}

export interface Gateways {
  runtime: Runtime;
  /** Decisions of the enforcement points in this process (MCP sessions, forward-auth, ext_authz, the reverse proxy). */
  point: LocalDecisionPoint;
  /** MCP over Streamable HTTP at /mcp/NAME, its sessions and time limits as the `mcp` settings say. */
  mcp: McpHttpFront;
  /** The one machine-API check behind forward-auth, Envoy's ext_authz and the reverse proxy: one routes file, one flood budget. */
  http: HttpEnforcer;
  notifications: Notifications;
  /** Tells `observer` of every decision the point makes and how long it took to be durable; returns the unsubscribe. */
  observe(observer: DecisionObserver): () => void;
  /** Sends the gateways' lines to `log` from now on. */
  logTo(log: GatewayLog): void;
  /** Ends MCP sessions (their enforcement records written), writes the HTTP doors' pending enforcement records, then ends the notifications; the runtime stays open. */
  close(): Promise<void>;
}

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

const STDERR_LOG: GatewayLog = {
  warn: (line) => process.stderr.write(`${line}\n`),
  error: (_fields, line) => process.stderr.write(`${line}\n`),
  upstream: () => undefined,
};

export function openGateways(runtime: Runtime, settings: Pick<Settings, "mcp" | "notify">, options: GatewayOptions = {}): Gateways {
  let log = STDERR_LOG;
  const observers = new Set<DecisionObserver>();
  const point = new LocalDecisionPoint(runtime, {
    observe: (decision, seconds) => {
      for (const observer of observers) observer(decision, seconds);
    },
  });
  const { mcp } = settings;
  const front = new McpHttpFront({
    point,
    upstreams: () => readUpstreams(runtime.dir),
    limits: { ...DEFAULT_LIMITS, approvalTimeoutMs: mcp.approval_timeout, callTimeoutMs: mcp.call_timeout },
    log: (line) => log.warn(line),
    upstreamStderr: (name, line) => log.upstream(name, line),
    maxSessions: mcp.max_sessions,
    maxSessionsPerIdentity: mcp.max_sessions_per_identity,
    idleMs: mcp.idle_timeout,
  });
  const http = openHttpEnforcement(
    {
      dir: runtime.dir,
      issuer: runtime.config.origin,
      point,
      log: (line) => log.warn(line),
      onRoutesChange: (change) => void runtime.ledger.append(routesEvent(change)).catch((err: unknown) => log.error({ err }, "the routes change could not be recorded")),
      now: runtime.now,
    },
    options.http,
  );
  const notifications = startNotifications(runtime, settings.notify, { ...(options.address ? { fallbackUrl: options.address } : {}), warn: (line) => log.warn(line) });
  return {
    runtime,
    point,
    mcp: front,
    http,
    notifications,
    observe: (observer) => {
      observers.add(observer);
      return () => observers.delete(observer);
    },
    logTo: (target) => {
      log = target;
    },
    close: async () => {
      await front.close();
      // Before the runtime closes: an answered HTTP request's enforcement record is still written.
      await http.reports.drain();
      // After the doors close, so no request opens an approval nobody is told of; before the ledger closes, so abandoned deliveries are recorded.
      await notifications.close();
    },
  };
}
