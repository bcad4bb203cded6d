// `arbiter notify deliver`: one pass over the notification outbox, for a data directory no `serve` or `mcp wrap` delivers from.
import { Command } from "commander";
import { human } from "../../record/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withRuntime } from "../session.js";
import { settingsFor } from "../settings-flags.js";

function deliverCommand(): Command {
  return withJson(withData(new Command("deliver")))
    .description("POST each approver notification due in the outbox once (each attempt recorded); what fails and may be retried stays for the next run")
    .action(
      action(async (options: DataOption & JsonOption) => {
        const { notify } = settingsFor(dataDir(options), options, []).settings;
        const { approverNotifier } = await import("../../runtime/index.js");
        const result = await withRuntime(options, async (runtime) => {
          const notifier = approverNotifier(runtime, notify, { warn: (line) => process.stderr.write(human`arbiter ${line}\n`) });
          try {
            const pass = await notifier.deliverDue();
            return { ...pass, pending: notifier.pending };
          } finally {
            await notifier.close();
          }
        });
        if (options.json) printJson(result);
        else process.stdout.write(human`delivered ${result.delivered}, failed ${result.failed}, to retry ${result.retrying}; ${result.pending} in the outbox\n`);
        if (notify.webhooks.length === 0) process.stderr.write("arbiter: no webhooks are configured (notify.webhooks), so nothing was delivered\n");
        if (result.failed > 0) process.exitCode = 1;
      }),
    );
}

export function notifyCommand(): Command {
  return new Command("notify").description("approver notifications: deliver what the outbox holds").addCommand(deliverCommand());
}
