// `arbiter init`: create the data directory, keys and default config (idempotent).
import { Command } from "commander";
import { initLedgerDir } from "../../ledger/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";

interface InitOptions extends DataOption, JsonOption {
  origin?: string;
  checkpointInterval?: string;
}

export function initCommand(): Command {
  const command = new Command("init")
    .description("create the data directory with its signing key, verifier key, config and store")
    .option("--origin <name>", "the log's origin, the name in its checkpoints (default: arbiter.local/<random>)")
    .option("--checkpoint-interval <ms>", "sign a checkpoint at most this often while entries arrive", "1000");
  return withJson(withData(command)).action(
    action((options: InitOptions) => {
      const interval = Number(options.checkpointInterval);
      const result = initLedgerDir(dataDir(options), {
        ...(options.origin !== undefined ? { origin: options.origin } : {}),
        checkpointIntervalMs: Number.isFinite(interval) ? interval : 1000,
      });
      if (options.json) {
        printJson({ created: result.created, dir: result.dir, origin: result.config.origin, vkey: result.vkey });
        return;
      }
      const verb = result.created ? "created" : "already initialised";
      process.stdout.write(`${verb}: ${result.dir}\norigin: ${result.config.origin}\nverifier key: ${result.vkey}\n`);
    }),
  );
}
