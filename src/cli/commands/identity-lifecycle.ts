// `arbiter identity suspend|reactivate|revoke|offboard|revoke-credential`: lifecycle changes, each recorded in the ledger.
import { Command } from "commander";
import { action, printJson } from "../door.js";
import { credentialLine, identityText } from "./identity-format.js";
import { actorOf, withActor, withDirectory, type ActorOption } from "./identity-session.js";
import { human } from "../../record/index.js";

interface ReasonOptions extends ActorOption {
  reason?: string;
}

export function transitionCommand(name: "suspend" | "reactivate" | "revoke" | "offboard", description: string): Command {
  return withActor(new Command(name))
    .description(description)
    .argument("<id>", "the identity")
    .option("--reason <text>", "why (kept in the ledger)")
    .action(
      action(async (id: string, options: ReasonOptions) => {
        const identity = await withDirectory(options, (directory) => directory[name](id, actorOf(directory, options), options.reason));
        if (options.json) printJson(identity);
        else process.stdout.write(identityText(identity));
      }),
    );
}

export function revokeCredentialCommand(): Command {
  return withActor(new Command("revoke-credential"))
    .description("revoke one API key or token at once; the identity stays active")
    .argument("<credential-id>", "the credential (key_... or tok_...), as `identity show` lists it")
    .option("--reason <text>", "why (kept in the ledger)")
    .action(
      action(async (credentialId: string, options: ReasonOptions) => {
        const credential = await withDirectory(options, (directory) => directory.revokeCredential(credentialId, actorOf(directory, options), options.reason));
        if (options.json) printJson(credential);
        else process.stdout.write(human`${credentialLine(credential)}\n`);
      }),
    );
}
