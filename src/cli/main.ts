#!/usr/bin/env node
// The `arbiter` command.
import { Command, CommanderError } from "commander";
import { approvalsCommand } from "./commands/approvals.js";
import { notifyCommand } from "./commands/notify.js";
import { breakGlassCommand } from "./commands/breakglass.js";
import { completionCommand } from "./commands/completion.js";
import { configCommand } from "./commands/config.js";
import { decideCommand, explainCommand } from "./commands/decide.js";
import { identityCommand } from "./commands/identity.js";
import { initCommand } from "./commands/init.js";
import { linkCommand } from "./commands/link.js";
import { logCommand } from "./commands/log.js";
import { reportCommand } from "./commands/report.js";
import { mcpCommand } from "./commands/mcp.js";
import { policyCommand } from "./commands/policy.js";
import { serveCommand } from "./commands/serve.js";
import { taskCommand } from "./commands/task.js";
import { tokenCommand } from "./commands/token.js";
import { EXIT, reportFailure } from "./door.js";
import { ArbiterError } from "../record/index.js";

const program = new Command("arbiter")
  .description("Decide every agent and machine call before it runs; prove that the control fired.")
  .version("0.1.0")
  .addCommand(initCommand())
  .addCommand(serveCommand())
  .addCommand(configCommand())
  .addCommand(identityCommand())
  .addCommand(tokenCommand())
  .addCommand(taskCommand())
  .addCommand(policyCommand())
  .addCommand(decideCommand())
  .addCommand(explainCommand())
  .addCommand(approvalsCommand())
  .addCommand(notifyCommand())
  .addCommand(breakGlassCommand())
  .addCommand(linkCommand())
  .addCommand(mcpCommand())
  .addCommand(logCommand())
  .addCommand(reportCommand())
  .addCommand(completionCommand())
  // Also before the command (`arbiter --data DIR log tail`); a --data after it wins.
  .option("--data <dir>", "data directory for every command (default: $ARBITER_DATA or ./.arbiter)");

program.hook("preAction", (root, command) => {
  const global = root.getOptionValue("data") as string | undefined;
  if (global === undefined || command === root || command.getOptionValue("data") !== undefined) return;
  if (!command.options.some((o) => o.attributeName() === "data")) {
    const path: string[] = [];
    for (let c: Command | null = command; c && c !== root; c = c.parent) path.unshift(c.name());
    throw new ArbiterError("USAGE", `\`${path.join(" ")}\` takes no data directory; leave out --data`);
  }
  command.setOptionValue("data", global);
});

function overrideExits(command: Command): void {
  command.exitOverride();
  command.commands.forEach(overrideExits);
}
overrideExits(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander has already printed its own message (unknown option, missing argument, --help).
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    reportFailure(err);
  }
}
