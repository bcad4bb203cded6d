// `arbiter identity key|rotate`: API keys, printed once and never stored in the clear.
import { Command } from "commander";
import type { CredentialInfo } from "../../identity/index.js";
import { action, printJson } from "../door.js";
import { credentialLine } from "./identity-format.js";
import { parseDuration } from "../time-flags.js";
import { actorOf, withActor, withDirectory, type ActorOption } from "./identity-session.js";
import { human } from "../../record/index.js";

const SHOWN_ONCE = "This key is shown once: store it now in a secret manager. Arbiter keeps only its hash and cannot show it again.\n";

function printKey(key: string, credential: CredentialInfo, json: boolean, replaced: readonly CredentialInfo[] = []): void {
  if (json) {
    printJson({ key, credential, ...(replaced.length > 0 ? { replaced } : {}) });
  } else {
    process.stdout.write(human`${key}\n`);
    process.stderr.write(human`issued ${credentialLine(credential)}\n`);
    for (const old of replaced) process.stderr.write(human`rotated ${credentialLine(old)}\n`);
  }
  process.stderr.write(SHOWN_ONCE);
}

export function keyCommand(): Command {
  return withActor(new Command("key"))
    .description("issue a new API key for an active identity and print it once")
    .argument("<id>", "the identity")
    .action(
      action(async (id: string, options: ActorOption) => {
        const { key, credential } = await withDirectory(options, (directory) => directory.issueApiKey(id, actorOf(directory, options)));
        printKey(key, credential, options.json === true);
      }),
    );
}

interface RotateOptions extends ActorOption {
  grace?: string;
  reason?: string;
}

export function rotateCommand(): Command {
  return withActor(new Command("rotate"))
    .description("issue a new API key and retire the old ones (at once, or after --grace); tokens issued before now stop working")
    .argument("<id>", "the identity")
    .option("--grace <duration>", "keep the old keys (and older tokens) valid this long, e.g. 300, 10m, 1h")
    .option("--reason <text>", "why (kept in the ledger)")
    .action(
      action(async (id: string, options: RotateOptions) => {
        const graceSeconds = options.grace !== undefined ? parseDuration(options.grace, "--grace") : 0;
        const rotated = await withDirectory(options, (directory) =>
          directory.rotateApiKey(id, actorOf(directory, options), { graceSeconds, ...(options.reason !== undefined ? { reason: options.reason } : {}) }),
        );
        printKey(rotated.key, rotated.credential, options.json === true, rotated.replaced);
      }),
    );
}
