// `server`: where `arbiter serve` listens and what its HTTP layer accepts.
import { bytes, duration, integer, list, oneOf, optionalPort, port, text } from "../kinds.js";
import { section, setting } from "../setting.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export const server = section("The HTTP server of `arbiter serve`.", {
  host: setting(text({ allowed: "an address or host name to listen on, such as 127.0.0.1, :: or 0.0.0.0" }), {
    default: "127.0.0.1",
    doc: "Address to listen on. The default accepts local connections only; 0.0.0.0 or :: listens on every interface.",
    env: "ARBITER_HOST",
    flag: "--host <host>",
  }),
  port: setting(port(), {
    default: 8700,
    doc: "TCP port to listen on.",
    env: "ARBITER_PORT",
    flag: "--port <port>",
  }),
  workers: setting(integer(1, 64), {
    default: 1,
    doc: "Deciding processes that share the listening ports and append to the one ledger through SQLite's write lock; the primary restarts one that dies and does the background verify, checkpoint signing and streaming once. MCP sessions at /mcp/NAME live in one process: keep 1 when MCP clients connect over HTTP (docs/deploy.md).",
    env: "ARBITER_WORKERS",
    flag: "--workers <n>",
  }),
  log_level: setting(oneOf(LOG_LEVELS), {
    default: "info",
    doc: "Log level of the server's JSON log on stdout (pino).",
    env: "ARBITER_LOG_LEVEL",
    flag: "--log-level <level>",
  }),
  body_limit: setting(bytes(1024, 16 * 1024 * 1024), {
    default: 64 * 1024,
    doc: "Largest request body of the API; bigger requests are refused with 413 (MCP messages have their own limit).",
    env: "ARBITER_BODY_LIMIT",
  }),
  linkage_body_limit: setting(bytes(1024, 256 * 1024 * 1024), {
    default: 16 * 1024 * 1024,
    doc: "Largest body of POST /v1/linkage/runs (events sent inline); bigger ones are refused with 413. The caller is authenticated before any of the body is read.",
    env: "ARBITER_LINKAGE_BODY_LIMIT",
  }),
  headers_timeout: setting(duration({ bare: "s", min: 1000, max: 300_000 }), {
    default: 10_000,
    doc: "A request whose headers take longer than this to arrive is answered 408 and its connection closed (slowloris). At most request_timeout.",
    env: "ARBITER_HEADERS_TIMEOUT",
  }),
  request_timeout: setting(duration({ bare: "s", min: 1000, max: 3_600_000 }), {
    default: 30_000,
    doc: "A request whose body has not fully arrived this long after its first byte is answered 408 and its connection closed (a body sent slowly). The answer itself may take longer (an SSE stream, a held approval).",
    env: "ARBITER_REQUEST_TIMEOUT",
  }),
  keep_alive_timeout: setting(duration({ bare: "s", min: 1000, max: 3_600_000 }), {
    default: 72_000,
    doc: "An idle keep-alive connection is closed after this long. Longer than a load balancer's idle timeout (often 60s), so the balancer closes first.",
    env: "ARBITER_KEEP_ALIVE_TIMEOUT",
  }),
  cors_origins: setting(list(text({ pattern: /^https?:\/\/[^/\s]+$/, allowed: "an origin such as https://console.example.com" }), "a list of origins such as https://console.example.com (none: CORS off)"), {
    default: [] as string[],
    doc: "Browser origins allowed to call the API across origins (CORS). Empty: off, no cross-origin browser call is allowed.",
    env: "ARBITER_CORS_ORIGINS",
  }),
  ext_authz_port: setting(optionalPort(), {
    default: null,
    doc: "TCP port of Envoy's gRPC ext_authz service (envoy.service.auth.v3.Authorization), on the same host; off: not served.",
    env: "ARBITER_EXT_AUTHZ_PORT",
    flag: "--ext-authz-port <port>",
  }),
  proxy_port: setting(optionalPort(), {
    default: null,
    doc: "TCP port of Arbiter's own reverse proxy (routes with an upstream in routes.yaml), on the same host; off: not served.",
    env: "ARBITER_PROXY_PORT",
    flag: "--proxy-port <port>",
  }),
  proxy_timeout: setting(duration({ bare: "s", min: 100, max: 600_000 }), {
    default: 30_000,
    doc: "Longest an upstream of the reverse proxy may take to answer in full; past it the client gets 504 and the enforcement record says so.",
    env: "ARBITER_PROXY_TIMEOUT",
  }),
  proxy_body_limit: setting(bytes(0, 64 * 1024 * 1024), {
    default: 1024 * 1024,
    doc: "Largest request body the reverse proxy reads (whole, before deciding); bigger requests are refused with 413 and recorded.",
    env: "ARBITER_PROXY_BODY_LIMIT",
  }),
  proxy_header_limit: setting(bytes(1024, 256 * 1024), {
    default: 16 * 1024,
    doc: "Largest total of request header lines the reverse proxy accepts; more is refused with 431 and recorded.",
    env: "ARBITER_PROXY_HEADER_LIMIT",
  }),
  proxy_mask_limit: setting(bytes(1024, 256 * 1024 * 1024), {
    default: 8 * 1024 * 1024,
    doc: "Largest JSON response the reverse proxy reads to mask it; a larger one under a mask obligation is not passed on (502, recorded blocked).",
    env: "ARBITER_PROXY_MASK_LIMIT",
  }),
});
