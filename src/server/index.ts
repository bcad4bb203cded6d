// The HTTP door: Fastify app over a runtime.
export { buildServer, DEFAULT_BODY_LIMIT, DEFAULT_CONNECTION_LIMITS, DEFAULT_LINKAGE_BODY_LIMIT, type ConnectionLimits, type ServerOptions } from "./app.js";
export { listenExtAuthz, type ExtAuthzListen, type ExtAuthzServer } from "./ext-authz.js";
export { STATUS_OF, problem, type Problem } from "./problem.js";
export type { ArbiterApp } from "./context.js";
export { listenProxy, type ProxyListen, type ProxyServer } from "./proxy.js";
