// Enforcement for machine APIs: routes as data, forward-auth for nginx, Caddy, Traefik and Envoy, and the checks behind them.
export { ANSWER_HEADERS, answerFor, headerSafe, type CheckAnswer } from "./answer.js";
export { CallerResolver, type Caller } from "./callers.js";
export { HttpEnforcer, type CheckInput, type CheckResult, type HttpEnforcerOptions } from "./check.js";
export { HeaderView, MAX_HEADERS, MAX_HEADER_VALUE_BYTES } from "./headers.js";
export { originalRequest, type OriginalRequest, type OriginalResult } from "./original.js";
export { matchRoute, type CompiledRoute, type RouteMatch } from "./route-match.js";
export { ROUTES_FILE, compileRoutes, routesFileSchema, type RouteTable, type RoutesFile, type UpstreamSpec } from "./routes-file.js";
export { DEFAULT_RELOAD_MS, RoutesSource, type RoutesChange, type RoutesSourceOptions, type RoutesStatus } from "./routes-source.js";
export { MAX_TARGET_BYTES, canonicalTarget, type Target } from "./target.js";
export { openHttpEnforcement, type HttpEnforcementDeps, type HttpEnforcementOptions } from "./open.js";
export { EXT_AUTHZ_PROTO, EXT_AUTHZ_PROTO_ROOT, PEP_METADATA_KEY, PROTO_OPTIONS, authorizationService, checkResponse, grpcJs, envoyRequest, type EnvoyCheckRequest, type EnvoyRequest } from "./envoy-grpc.js";
export { EVALUATIONS_SEMANTICS, MAX_EVALUATIONS, answerOf, decisionRequestOf, errorAnswer, evaluationSchema, evaluationsSchema, expandEvaluations, stopsAfter, type Evaluation, type EvaluationAnswer, type Evaluations, type EvaluationsSemantic } from "./authzen.js";
export { PROXY_PEP, ReverseProxy, type ProxyLimits } from "./proxy.js";
export { EnforcementReports, type EnforcementRecordsStatus } from "./reports.js";
