// OpenTelemetry logs sink: each ledger entry as one OTLP log record (OTLP/HTTP, JSON) whose body is
// an OCSF API Activity event, exported by the OpenTelemetry SDK's own exporter.
import { SeverityNumber, type AnyValueMap, type Logger } from "@opentelemetry/api-logs";
import { createRequire } from "node:module";
import type * as LogsExporter from "@opentelemetry/exporter-logs-otlp-http";
import type { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import type * as Resources from "@opentelemetry/resources";
import type * as SdkLogs from "@opentelemetry/sdk-logs";
import type { LoggerProvider, LogRecordProcessor, ReadableLogRecord, SdkLogRecord } from "@opentelemetry/sdk-logs";
import type { OutgoingEntry } from "./entry.js";
import type { Sink } from "./follower.js";
import { ocsfApiActivity } from "./ocsf.js";

export interface OtlpSinkOptions {
  /** The logs endpoint, e.g. http://collector:4318/v1/logs. */
  endpoint: string;
  /** Sent with every export; may hold a collector token, so never logged. */
  headers: Record<string, string>;
  origin: string;
  /** How long one export may take, its own retries included. */
  timeoutMs: number;
}

// Required when the sink opens, not imported: every process that opens a data directory reaches this
// module, and loading the SDK and its exporter costs ≈ 150 ms whether or not an OTLP sink is configured.
const requireLazily = createRequire(import.meta.url);

/** Records per export request: keeps a request well under collectors' default size limits (4 MiB in the OpenTelemetry Collector). */
const EXPORT_BATCH = 200;
/** OpenTelemetry's success code (ExportResultCode.SUCCESS in @opentelemetry/core). */
const EXPORT_SUCCESS = 0;

/**
 * Hands emitted records to `send` instead of batching them on a timer: the follower has to know which
 * entries the collector acknowledged, which the SDK's Batch processor never says.
 */
class Captured implements LogRecordProcessor {
  records: SdkLogRecord[] = [];
  onEmit(record: SdkLogRecord): void {
    this.records.push(record);
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

export class OtlpSink implements Sink {
  readonly name = "otlp";
  private readonly options: OtlpSinkOptions;
  private readonly captured = new Captured();
  private exporter: OTLPLogExporter | undefined;
  private provider: LoggerProvider | undefined;
  private logger: Logger | undefined;

  constructor(options: OtlpSinkOptions) {
    this.options = options;
  }

  open(): Promise<void> {
    if (this.exporter === undefined) {
      const { endpoint, headers, timeoutMs, origin } = this.options;
      const { OTLPLogExporter: Exporter } = requireLazily("@opentelemetry/exporter-logs-otlp-http") as typeof LogsExporter;
      const { LoggerProvider: Provider } = requireLazily("@opentelemetry/sdk-logs") as typeof SdkLogs;
      const { resourceFromAttributes } = requireLazily("@opentelemetry/resources") as typeof Resources;
      this.exporter = new Exporter({ url: endpoint, headers, timeoutMillis: timeoutMs });
      this.provider = new Provider({ resource: resourceFromAttributes({ "service.name": "arbiter", "arbiter.ledger.origin": origin }), processors: [this.captured] });
      this.logger = this.provider.getLogger("arbiter.ledger");
    }
    return Promise.resolve();
  }

  async send(entries: readonly OutgoingEntry[]): Promise<number> {
    let sent = 0;
    for (let start = 0; start < entries.length; start += EXPORT_BATCH) {
      const chunk = entries.slice(start, start + EXPORT_BATCH);
      try {
        await this.export(chunk);
      } catch (err) {
        if (sent === 0) throw err;
        return sent;
      }
      sent += chunk.length;
    }
    return sent;
  }

  private async export(entries: readonly OutgoingEntry[]): Promise<void> {
    const { exporter, logger } = this;
    if (exporter === undefined || logger === undefined) throw new Error("the OTLP exporter is not open");
    this.captured.records = [];
    for (const entry of entries) {
      const { event, attributes, time } = ocsfApiActivity(entry, this.options.origin);
      logger.emit({ eventName: "ocsf.api_activity", timestamp: time, severityNumber: SeverityNumber.INFO, severityText: "INFO", body: event as AnyValueMap, attributes });
    }
    const records: ReadableLogRecord[] = this.captured.records;
    this.captured.records = [];
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(records, resolve));
    // The exporter's error says what the collector answered (status, message); the request's headers are not in it.
    if (result.code !== EXPORT_SUCCESS) throw new Error(`the OTLP collector did not accept the export of index ${entries[0]?.index ?? "?"}: ${result.error?.message ?? "unknown error"}`);
  }

  async close(): Promise<void> {
    const { exporter, provider } = this;
    this.exporter = undefined;
    this.provider = undefined;
    this.logger = undefined;
    await provider?.shutdown().catch(() => undefined);
    await exporter?.shutdown().catch(() => undefined);
  }
}
