// `arbiter serve`: the decision point and its APIs over HTTP, until SIGINT or SIGTERM.
import { Command } from "commander";
import { ArbiterError } from "../../record/index.js";
import { action, dataDir, parseIndex, withData, type DataOption } from "../door.js";

interface ServeOptions extends DataOption {
  port: string;
  host: string;
  logLevel: string;
  demo?: boolean;
  checkpointInterval?: string;
}

export function serveCommand(): Command {
  return withData(new Command("serve"))
    .description("serve decisions, approvals, identities, policies and ledger proofs over HTTP")
    .option("--port <port>", "TCP port", "8700")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--log-level <level>", "pino log level (fatal, error, warn, info, debug, silent)", "info")
    .option("--checkpoint-interval <ms>", "sign a checkpoint at most this often (default: the data directory's setting)")
    .option("--demo", "initialise the data directory if needed and load the sample policies and identities")
    .action(
      action(async (options: ServeOptions) => {
        const port = parseIndex(options.port, "--port");
        if (port > 65535) throw new ArbiterError("USAGE", "--port must be at most 65535");
        const dir = dataDir(options);
        const [{ openRuntime }, { buildServer }] = await Promise.all([import("../../runtime/index.js"), import("../../server/index.js")]);
        let greeting: string[] = [];
        if (options.demo) {
          const { prepareDemo } = await import("../../runtime/demo.js");
          greeting = await prepareDemo(dir, `http://${options.host}:${port}`);
        }
        const runtime = openRuntime(dir, {
          backgroundCheckpoints: true,
          ...(options.checkpointInterval !== undefined ? { checkpointIntervalMs: parseIndex(options.checkpointInterval, "--checkpoint-interval") } : {}),
        });
        const app = await buildServer(runtime, { logLevel: options.logLevel });
        const shutdown = async (): Promise<void> => {
          await app.close();
          await runtime.close();
        };
        process.once("SIGINT", () => void shutdown());
        process.once("SIGTERM", () => void shutdown());
        const address = await app.listen({ port, host: options.host });
        process.stdout.write(`arbiter serving ${address} (data ${dir}, ledger ${runtime.ledger.origin}); OpenAPI at ${address}/openapi.json\n`);
        for (const line of greeting) process.stdout.write(`${line}\n`);
      }),
    );
}
