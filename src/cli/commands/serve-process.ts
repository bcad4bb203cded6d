// One deciding process of `arbiter serve`: the runtime, its gateways and the doors over them, until shut down.
import { ArbiterError, human } from "../../record/index.js";
import { describeSource, formatSetting, howToSet, type LoadedSettings, type SettingKey } from "../../runtime/settings/index.js";

/** A listen failure a person can fix, said with the setting to change; anything else is rethrown as it is. */
function listenFailure(err: unknown, loaded: LoadedSettings): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const { host, port } = loaded.settings.server;
  const where = `${host}:${port} (port: ${describeSource(loaded.sources["server.port"])}, host: ${describeSource(loaded.sources["server.host"])})`;
  if (code === "EADDRINUSE") {
    return new ArbiterError("USAGE", `cannot listen on ${where}: the port is already in use. Choose another with ${howToSet("server.port")}, e.g. \`arbiter serve --port 8800\` or \`npm start -- --port 8800\``);
  }
  if (code === "EACCES") return new ArbiterError("USAGE", `cannot listen on ${where}: ports below 1024 need privileges. Choose another with ${howToSet("server.port")}`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new ArbiterError("USAGE", `cannot listen on ${where}: this machine has no such address. Choose another with ${howToSet("server.host")}, e.g. 127.0.0.1 or 0.0.0.0`);
  }
  return err;
}

/** Node.js refuses a headers timeout longer than the request timeout; said here with where each came from. */
export function checkTimeouts(loaded: LoadedSettings): void {
  const { headers_timeout: headers, request_timeout: request } = loaded.settings.server;
  if (headers <= request) return;
  const where = (key: SettingKey, value: number): string => `${key} ${formatSetting(key, value)} (${describeSource(loaded.sources[key])})`;
  throw new ArbiterError("SETTINGS_INVALID", `${where("server.headers_timeout", headers)} must not be longer than ${where("server.request_timeout", request)}`);
}

export interface Serving {
  /** The API's address, e.g. http://127.0.0.1:8700. */
  address: string;
  origin: string;
  extAuthzPort?: number;
  proxyPort?: number;
  /** Stops recording: the ledger was found unsafe (by this process's background verify or, with several processes, the primary's). */
  halt(message: string): void;
  /** Closes the doors, then the gateways, then the runtime (queued records written, a last checkpoint signed). */
  shutdown(): Promise<void>;
}

/**
 * `background`: this process also verifies the ledger in the background, signs checkpoints on the
 * interval and streams records out. One process does that work; with several, it is the primary's.
 */
export async function startServing(dir: string, loaded: LoadedSettings, background: boolean): Promise<Serving> {
  const [{ openRuntime, streamingOptions }, { openGateways }, { buildServer, listenExtAuthz, listenProxy }] = await Promise.all([
    import("../../runtime/index.js"),
    import("../../runtime/gateways.js"),
    import("../../server/index.js"),
  ]);
  const { server, ledger, stream } = loaded.settings;
  const streaming = background ? streamingOptions(stream, (line) => process.stderr.write(human`arbiter ${line}\n`)) : undefined;
  const runtime = openRuntime(dir, {
    backgroundCheckpoints: true,
    checkpointIntervalMs: background ? ledger.checkpoint_interval : 0,
    ...(background ? { watch: { intervalMs: ledger.verify_interval, fullIntervalMs: ledger.full_verify_interval } } : {}),
    ...(streaming ? { streaming } : {}),
  });
  let address: string | undefined;
  let gateways;
  let app;
  try {
    gateways = openGateways(runtime, loaded.settings, { address: () => address });
    app = await buildServer(gateways, {
      logLevel: server.log_level,
      bodyLimit: server.body_limit,
      linkageBodyLimit: server.linkage_body_limit,
      connections: { headersTimeoutMs: server.headers_timeout, requestTimeoutMs: server.request_timeout, keepAliveTimeoutMs: server.keep_alive_timeout },
      corsOrigins: server.cors_origins,
    });
  } catch (err) {
    await gateways?.close();
    await runtime.close();
    throw err;
  }
  const served = gateways;
  let extAuthz: { port: number; close(): Promise<void> } | undefined;
  let proxy: { port: number; close(): Promise<void> } | undefined;
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      await extAuthz?.close();
      await proxy?.close();
      await app.close();
      await served.close();
      await runtime.close();
    })());
  try {
    address = await app.listen({ port: server.port, host: server.host });
  } catch (err) {
    await shutdown();
    throw listenFailure(err, loaded);
  }
  if (server.ext_authz_port !== null) {
    try {
      extAuthz = await listenExtAuthz(served, { host: server.host, port: server.ext_authz_port }, (line) => app.log.error(line));
    } catch (err) {
      await shutdown();
      throw new ArbiterError("USAGE", `cannot serve Envoy ext_authz on ${server.host}:${server.ext_authz_port} (${describeSource(loaded.sources["server.ext_authz_port"])}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (server.proxy_port !== null) {
    const limits = { bodyBytes: server.proxy_body_limit, headerBytes: server.proxy_header_limit, timeoutMs: server.proxy_timeout, maskBytes: server.proxy_mask_limit };
    try {
      proxy = await listenProxy(served.http, { host: server.host, port: server.proxy_port, limits }, (line) => app.log.error(line));
    } catch (err) {
      await shutdown();
      throw new ArbiterError("USAGE", `cannot serve the reverse proxy on ${server.host}:${server.proxy_port} (${describeSource(loaded.sources["server.proxy_port"])}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return {
    address,
    origin: runtime.ledger.origin,
    ...(extAuthz ? { extAuthzPort: extAuthz.port } : {}),
    ...(proxy ? { proxyPort: proxy.port } : {}),
    halt: (message) => runtime.ledger.halt(message),
    shutdown,
  };
}

/** The lines a person reads once `arbiter serve` listens (the primary's, with several processes). */
export function startLines(serving: Pick<Serving, "address" | "origin" | "extAuthzPort" | "proxyPort">, dir: string, loaded: LoadedSettings, workers: number): string[] {
  const { host } = loaded.settings.server;
  const { address } = serving;
  return [
    ...(serving.extAuthzPort !== undefined ? [human`arbiter ext_authz (gRPC) on ${host}:${serving.extAuthzPort}`] : []),
    ...(serving.proxyPort !== undefined ? [human`arbiter reverse proxy on ${host}:${serving.proxyPort}`] : []),
    human`arbiter serving ${address} (data ${dir}, ledger ${serving.origin}${workers > 1 ? `, ${workers} deciding processes` : ""}); OpenAPI at ${address}/openapi.json; console at ${address}/`,
  ];
}
