// `arbiter mcp wrap`: a stdio MCP server in front of one upstream, enforcing every call, until the agent closes stdin.
import type { Readable, Writable } from "node:stream";
import type { DecisionPoint } from "../decision-point/index.js";
import type { Limits } from "./enforce.js";
import { McpGateway } from "./gateway.js";
import { GuardedStdioTransport } from "./stdio-transport.js";
import type { UpstreamSpec } from "./upstream.js";

export interface WrapOptions {
  upstream: UpstreamSpec;
  /** The upstream's name in resource ids; the upstream's own name (sanitised) when absent. */
  serverName?: string;
  /** The agent's API key or token. */
  credential: string;
  point: DecisionPoint;
  limits: Limits;
  sensitivity?: string;
  input?: Readable;
  output?: Writable;
  log?: (line: string) => void;
}

export const DEFAULT_LIMITS: Limits = { approvalTimeoutMs: 120_000, callTimeoutMs: 60_000, approvalPollMs: 500, progressMs: 5_000 };

/** Names that can stand in a resource id and a URL path segment. */
export const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function serverNameFrom(upstreamName: string): string {
  const cleaned = upstreamName.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 64);
  return cleaned === "" ? "upstream" : cleaned;
}

/**
 * The environment an upstream command inherits: the gateway's, without Arbiter's own settings, so
 * the PEP credential and the agent's credential never reach the tool server.
 */
export function upstreamEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !key.startsWith("ARBITER_")) out[key] = value;
  return out;
}

/** Runs the gateway over stdin/stdout; resolves after stdin closes and every enforcement record is written. */
export async function runWrap(options: WrapOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const gateway = await McpGateway.open(options.upstream, {
    caller: (upstream) => {
      const server = options.serverName ?? serverNameFrom(upstream.name);
      return {
        credential: options.credential,
        server,
        pep: { id: `mcp-stdio:${server}`, kind: "mcp" },
        ...(options.sensitivity ? { sensitivity: options.sensitivity } : {}),
        session: "stdio",
      };
    },
    point: options.point,
    limits: options.limits,
    log,
  });
  const transport = new GuardedStdioTransport(options.input ?? process.stdin, options.output ?? process.stdout);
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  const stop = (): void => void transport.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await gateway.connect(transport);
    await closed;
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await gateway.close();
  }
}
