// `arbiter policy ...`: Cedar policy sets as code: validate, test, diff, activate, show, versions, replay.
import { Command } from "commander";
import { testCommand, validateCommand } from "./policy-check.js";
import { replayCommand } from "./policy-replay.js";
import { activateCommand, rollbackCommand, diffCommand, showCommand, versionsCommand } from "./policy-versions.js";

export function policyCommand(): Command {
  return new Command("policy")
    .description("Cedar policy sets: validate, test, diff and activate them; show stored versions; replay recorded decisions")
    .addCommand(validateCommand())
    .addCommand(testCommand())
    .addCommand(diffCommand())
    .addCommand(activateCommand())
    .addCommand(rollbackCommand())
    .addCommand(showCommand())
    .addCommand(versionsCommand())
    .addCommand(replayCommand());
}
