// A local OTLP/HTTP logs receiver (node:http on port 0) that decodes the JSON encoding of ExportLogsServiceRequest.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

type AnyValueJson = { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean; arrayValue?: { values?: AnyValueJson[] }; kvlistValue?: { values?: KeyValueJson[] } };
type KeyValueJson = { key: string; value?: AnyValueJson };

/** OTLP/JSON AnyValue (opentelemetry-proto common.proto) as plain JSON. */
export function decodeAnyValue(value: AnyValueJson | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeAnyValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  return undefined;
}

export function decodeAttributes(values: KeyValueJson[] | undefined): Record<string, unknown> {
  return Object.fromEntries((values ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)]));
}

export interface ReceivedLog {
  resource: Record<string, unknown>;
  scope: string;
  timeUnixNano: string;
  severityText: string | undefined;
  eventName: string | undefined;
  body: Record<string, unknown>;
  attributes: Record<string, unknown>;
}

export interface Request {
  headers: IncomingHttpHeaders;
  path: string;
  status: number;
}

interface LogsRequestJson {
  resourceLogs?: { resource?: { attributes?: KeyValueJson[] }; scopeLogs?: { scope?: { name?: string }; logRecords?: { timeUnixNano?: string; severityText?: string; eventName?: string; body?: AnyValueJson; attributes?: KeyValueJson[] }[] }[] }[];
}

export class OtlpReceiver {
  /** Logs of the requests answered 200, in arrival order. */
  readonly accepted: ReceivedLog[] = [];
  readonly requests: Request[] = [];
  /** The status to answer with: 200 accepts; anything else refuses the whole request. */
  status = 200;
  url = "";
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const status = this.status;
        this.requests.push({ headers: req.headers, path: req.url ?? "", status });
        if (status === 200) {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as LogsRequestJson;
          for (const rl of body.resourceLogs ?? []) {
            for (const sl of rl.scopeLogs ?? []) {
              for (const log of sl.logRecords ?? []) {
                this.accepted.push({
                  resource: decodeAttributes(rl.resource?.attributes),
                  scope: sl.scope?.name ?? "",
                  timeUnixNano: String(log.timeUnixNano ?? ""),
                  severityText: log.severityText,
                  eventName: log.eventName,
                  body: decodeAnyValue(log.body) as Record<string, unknown>,
                  attributes: decodeAttributes(log.attributes),
                });
              }
            }
          }
        }
        res.writeHead(status, { "content-type": "application/json" }).end(status === 200 ? "{}" : '{"code":13,"message":"collector unavailable"}');
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${port}/v1/logs`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
