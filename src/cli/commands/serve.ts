// `arbiter serve`: the decision point and its APIs over HTTP, until SIGINT or SIGTERM.
import cluster from "node:cluster";
import { Command } from "commander";
import { human } from "../../record/index.js";
import { action, dataDir, withData, type DataOption } from "../door.js";
import { allSettingKeys, settingsFor, withSettingFlags } from "../settings-flags.js";
import { reportWorkerFailure, runPrimary, superviseWorker } from "./serve-primary.js";
import { checkTimeouts, startLines, startServing } from "./serve-process.js";

interface ServeOptions extends DataOption {
  demo?: boolean;
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
        const loaded = settingsFor(dir, options, allSettingKeys());
        const { workers } = loaded.settings.server;
        if (cluster.isWorker) {
          // A deciding process forked by the primary, which prepared the demo and prints the start lines.
          let serving;
          try {
            serving = await startServing(dir, loaded, false);
          } catch (err) {
            reportWorkerFailure(err);
            throw err;
          }
          superviseWorker(serving);
          return;
        }
        let greeting: (url: string) => string[] = () => [];
        if (options.demo) {
          const { prepareDemo } = await import("../../runtime/demo.js");
          greeting = await prepareDemo(dir);
        }
        if (workers > 1) {
          await runPrimary(dir, settingsFor(dir, options, allSettingKeys()), workers, greeting);
          return;
        }
        const serving = await startServing(dir, settingsFor(dir, options, allSettingKeys()), true);
        process.once("SIGINT", () => void serving.shutdown());
        process.once("SIGTERM", () => void serving.shutdown());
        for (const line of startLines(serving, dir, loaded, 1)) process.stdout.write(`${line}\n`);
        for (const line of greeting(serving.address)) process.stdout.write(human`${line}\n`);
      }),
    );
}
