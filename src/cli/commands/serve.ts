// `arbiter serve`: the decision point and its APIs over HTTP, until SIGINT or SIGTERM.
import { Command } from "commander";
import { ArbiterError, human } from "../../record/index.js";
import { describeSource, formatSetting, howToSet, type LoadedSettings, type SettingKey } from "../../runtime/settings/index.js";
import { action, dataDir, withData, type DataOption } from "../door.js";
import { allSettingKeys, settingsFor, withSettingFlags } from "../settings-flags.js";

interface ServeOptions extends DataOption {
  demo?: boolean;
}

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
function checkTimeouts(loaded: LoadedSettings): void {
  const { headers_timeout: headers, request_timeout: request } = loaded.settings.server;
  if (headers <= request) return;
  const where = (key: SettingKey, value: number): string => `${key} ${formatSetting(key, value)} (${describeSource(loaded.sources[key])})`;
  throw new ArbiterError("SETTINGS_INVALID", `${where("server.headers_timeout", headers)} must not be longer than ${where("server.request_timeout", request)}`);
}

export function serveCommand(): Command {
  return withSettingFlags(withData(new Command("serve")), allSettingKeys())
    .description("serve decisions, approvals, identities, policies and ledger proofs over HTTP (settings: `arbiter config show`)")
    .option("--demo", "initialise the data directory if needed and load the sample policies and identities")
    .action(
      action(async (options: ServeOptions) => {
        const dir = dataDir(options);
        // Checked before anything is written, so a typo in a setting never leaves a half-made data directory.
        checkTimeouts(settingsFor(dir, options, allSettingKeys()));
        const [{ openGateways, openRuntime, streamingOptions }, { buildServer, listenExtAuthz, listenProxy }] = await Promise.all([import("../../runtime/index.js"), import("../../server/index.js")]);
        let greeting: (url: string) => string[] = () => [];
        if (options.demo) {
          const { prepareDemo } = await import("../../runtime/demo.js");
          greeting = await prepareDemo(dir);
        }
        const loaded = settingsFor(dir, options, allSettingKeys());
        const { server, ledger, stream } = loaded.settings;
        const streaming = streamingOptions(stream, (line) => process.stderr.write(human`arbiter ${line}\n`));
        const runtime = openRuntime(dir, {
          backgroundCheckpoints: true,
          checkpointIntervalMs: ledger.checkpoint_interval,
          watch: { intervalMs: ledger.verify_interval, fullIntervalMs: ledger.full_verify_interval },
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
        const shutdown = async (): Promise<void> => {
          await extAuthz?.close();
          await proxy?.close();
          await app.close();
          await served.close();
          await runtime.close();
        };
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
          process.stdout.write(human`arbiter ext_authz (gRPC) on ${server.host}:${extAuthz.port}\n`);
        }
        if (server.proxy_port !== null) {
          const limits = { bodyBytes: server.proxy_body_limit, headerBytes: server.proxy_header_limit, timeoutMs: server.proxy_timeout, maskBytes: server.proxy_mask_limit };
          try {
            proxy = await listenProxy(served.http, { host: server.host, port: server.proxy_port, limits }, (line) => app.log.error(line));
          } catch (err) {
            await shutdown();
            throw new ArbiterError("USAGE", `cannot serve the reverse proxy on ${server.host}:${server.proxy_port} (${describeSource(loaded.sources["server.proxy_port"])}): ${err instanceof Error ? err.message : String(err)}`);
          }
          process.stdout.write(human`arbiter reverse proxy on ${server.host}:${proxy.port}\n`);
        }
        process.once("SIGINT", () => void shutdown());
        process.once("SIGTERM", () => void shutdown());
        process.stdout.write(human`arbiter serving ${address} (data ${dir}, ledger ${runtime.ledger.origin}); OpenAPI at ${address}/openapi.json; console at ${address}/\n`);
        for (const line of greeting(address)) process.stdout.write(human`${line}\n`);
      }),
    );
}
