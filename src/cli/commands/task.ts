// `arbiter task complete`: end a task, revoking every credential issued for it with one ledger record.
import { Command } from "commander";
import { action, printJson } from "../door.js";
import { actorOf, withActor, withDirectory, type ActorOption } from "./identity-session.js";
import { human } from "../../record/index.js";

interface CompleteOptions extends ActorOption {
  reason?: string;
}

function completeCommand(): Command {
  return withActor(new Command("complete"))
    .description("complete a task: every token issued for it is refused from now on (TASK_COMPLETED)")
    .argument("<id>", "the task id the tokens were issued with (token issue --task)")
    .option("--reason <text>", "why (kept in the ledger)")
    .action(
      action(async (id: string, options: CompleteOptions) => {
        const done = await withDirectory(options, (directory) => directory.completeTask(id, actorOf(directory, options), options.reason));
        if (options.json) {
          printJson(done);
          return;
        }
        const revoked = done.credentials.length === 0 ? "no credential" : done.credentials.join(", ");
        process.stdout.write(
          done.already_completed
            ? human`task ${done.task} was already completed at ${done.completed_at} by ${done.completed_by}; nothing changed\n`
            : human`task ${done.task} completed at ${done.completed_at} by ${done.completed_by}; revoked ${revoked}\n`,
        );
      }),
    );
}

export function taskCommand(): Command {
  return new Command("task").description("tasks that tokens are issued for").addCommand(completeCommand());
}
