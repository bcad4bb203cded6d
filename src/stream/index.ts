// Streaming the ledger out to SIEMs: NATS JetStream by record kind, and OCSF events over OTLP, following the ledger by index.
export { startStreams, Streams, type StreamingOptions } from "./streams.js";
export { LedgerFollower, type FollowerOptions, type Positions, type Sink, type SinkStatus } from "./follower.js";
export { knownKind, readEntries, type OutgoingEntry } from "./entry.js";
export { NatsSink, subjectOf, UNKNOWN_KIND_SUBJECT, type NatsSinkOptions } from "./nats-sink.js";
export { OtlpSink, type OtlpSinkOptions } from "./otlp-sink.js";
export { activityOf, ocsfApiActivity, OCSF_VERSION, type OcsfEvent } from "./ocsf.js";
