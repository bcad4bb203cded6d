// `arbiter log ...`: the enforcement ledger's commands.
import { Command } from "commander";
import { appendCommand } from "./log-append.js";
import { eraseCommand } from "./log-erase.js";
import { checkpointCommand, consistencyCommand, entryCommand, proveCommand, vkeyCommand } from "./log-proofs.js";
import { exportCommand, verifyBundleCommand, verifyCommand } from "./log-verify.js";
import { showCommand, tailCommand } from "./log-view.js";

export function logCommand(): Command {
  return new Command("log")
    .description("the tamper-evident enforcement ledger")
    .addCommand(appendCommand())
    .addCommand(checkpointCommand())
    .addCommand(vkeyCommand())
    .addCommand(entryCommand())
    .addCommand(proveCommand())
    .addCommand(consistencyCommand())
    .addCommand(verifyCommand())
    .addCommand(exportCommand())
    .addCommand(verifyBundleCommand())
    .addCommand(tailCommand())
    .addCommand(showCommand())
    .addCommand(eraseCommand());
}
