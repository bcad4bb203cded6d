// `arbiter init`: create the data directory, keys and default config (idempotent).
import { Command } from "commander";
import { initLedgerDir } from "../../ledger/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { settingsFor, withSettingFlags } from "../settings-flags.js";
import { human } from "../../record/index.js";

interface InitOptions extends DataOption, JsonOption {
  origin?: string;
  checkpointInterval?: string;
}

export function initCommand(): Command {
  const command = new Command("init")
    .description("create the data directory with its signing key, verifier key, config and store")
    .option("--origin <name>", "the log's origin, the name in its checkpoints (default: arbiter.local/<random>)");
  return withSettingFlags(withJson(withData(command)), ["ledger.checkpoint_interval"]).action(
    action((options: InitOptions) => {
      // Only a flag is recorded in config.json: the environment's value applies when a process runs, not forever.
      const interval = options.checkpointInterval !== undefined ? settingsFor(undefined, { checkpointInterval: options.checkpointInterval }, ["ledger.checkpoint_interval"]).settings.ledger.checkpoint_interval : undefined;
      const result = initLedgerDir(dataDir(options), {
        ...(options.origin !== undefined ? { origin: options.origin } : {}),
        ...(interval !== undefined ? { checkpointIntervalMs: interval } : {}),
      });
      if (options.json) {
        printJson({ created: result.created, dir: result.dir, origin: result.config.origin, vkey: result.vkey });
        return;
      }
      const verb = result.created ? "created" : "already initialised";
      process.stdout.write(human`${verb}: ${result.dir}\norigin: ${result.config.origin}\nverifier key: ${result.vkey}\n`);
    }),
  );
}
