// `stream`: sending every ledger record out to SIEMs, to NATS JetStream and to an OpenTelemetry (OTLP/HTTP) collector.
import { duration, headerList, integer, optionalText, secret, text } from "../kinds.js";
import { section, setting } from "../setting.js";

export const stream = section("Streaming ledger records out (`arbiter serve` and `arbiter mcp wrap`; see docs/streaming.md).", {
  nats_url: setting(optionalText(/^(nats|tls):\/\/[^\s,@]+(,\s*(nats|tls):\/\/[^\s,@]+)*$/, "nats://host:port (several separated by commas)"), {
    default: null,
    doc: "NATS server(s) with JetStream to publish every record to; off: no NATS publishing.",
    env: "ARBITER_STREAM_NATS_URL",
  }),
  nats_token: setting(secret("a NATS authentication token"), {
    default: null,
    doc: "Token for a NATS server that asks for one (never logged or shown).",
    env: "ARBITER_STREAM_NATS_TOKEN",
  }),
  nats_subject_prefix: setting(text({ pattern: /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,7}$/, allowed: "dot-separated tokens of letters, digits, _ and - (no wildcards)" }), {
    default: "arbiter.records",
    doc: "Records are published on PREFIX.KIND (PREFIX.decision, PREFIX.enforcement, …).",
    env: "ARBITER_STREAM_NATS_SUBJECT_PREFIX",
  }),
  nats_stream: setting(text({ pattern: /^[A-Za-z0-9_-]{1,64}$/, allowed: "a JetStream stream name: letters, digits, _ and -" }), {
    default: "ARBITER_RECORDS",
    doc: "The JetStream stream that captures PREFIX.>; created if missing, refused if it exists without that subject.",
    env: "ARBITER_STREAM_NATS_STREAM",
  }),
  otlp_endpoint: setting(optionalText(/^https?:\/\/[^\s]+$/, "an http(s) URL such as http://collector:4318/v1/logs"), {
    default: null,
    doc: "OTLP/HTTP logs endpoint to export every record to as an OCSF API Activity event; off: no export.",
    env: "ARBITER_STREAM_OTLP_ENDPOINT",
  }),
  otlp_headers: setting(headerList(), {
    default: [],
    doc: "Headers sent with every export, such as a collector token (never logged or shown).",
    env: "ARBITER_STREAM_OTLP_HEADERS",
  }),
  max_backlog: setting(integer(1, 100_000), {
    default: 1000,
    doc: "Most records each sink holds in memory at once; the rest wait in the ledger, which the sink reads on from its stored position.",
    env: "ARBITER_STREAM_MAX_BACKLOG",
  }),
  poll_interval: setting(duration({ bare: "ms", min: 10, max: 60_000 }), {
    default: 250,
    doc: "How often a caught-up sink looks for new records.",
    env: "ARBITER_STREAM_POLL_INTERVAL",
  }),
  ack_timeout: setting(duration({ bare: "s", min: 100, max: 600_000 }), {
    default: 5000,
    doc: "How long one publish or export waits for the sink to acknowledge it.",
    env: "ARBITER_STREAM_ACK_TIMEOUT",
  }),
  max_retry: setting(duration({ bare: "s", min: 1000, max: 3_600_000 }), {
    default: 30_000,
    doc: "Longest wait between attempts while a sink is down (the wait doubles from 250ms).",
    env: "ARBITER_STREAM_MAX_RETRY",
  }),
});
