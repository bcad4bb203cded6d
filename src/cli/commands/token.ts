// `arbiter token issue|jwks`: short-lived access tokens and the key that verifies them.
import { Command } from "commander";
import { action, printJson, withData, withJson, type DataOption } from "../door.js";
import { parseDuration } from "../time-flags.js";
import { actorOf, collect, withActor, withDirectory, type ActorOption } from "./identity-session.js";
import { human } from "../../record/index.js";

interface IssueOptions extends ActorOption {
  identity: string;
  ttl?: string;
  actFor?: string[];
  intent?: string;
  task?: string;
  acr?: string;
  scope?: string[];
  reason?: string;
}

function issueCommand(): Command {
  return withActor(new Command("issue"))
    .description("issue a signed access token (EdDSA JWT) for an active identity and print it")
    .requiredOption("--identity <id>", "the identity the token is for (with --act-for: the acting identity)")
    .option("--ttl <duration>", "lifetime, e.g. 900, 15m, 1h (default 15m)")
    .option("--act-for <id>", "an identity it acts for, nearest first (repeatable: B --act-for A --act-for U)", collect)
    .option("--intent <text>", "what the token is for, in words, given to policies")
    .option("--task <id>", "the task the token is for: `arbiter task complete ID` revokes it")
    .option("--acr <value>", "how the holder authenticated (default arbiter:issued)")
    .option("--scope <scope>", "a scope (repeatable)", collect)
    .option("--reason <text>", "why (kept in the ledger)")
    .action(
      action(async (options: IssueOptions) => {
        const ttlSeconds = options.ttl !== undefined ? parseDuration(options.ttl, "--ttl") : undefined;
        const issued = await withDirectory(options, (directory) =>
          directory.issueToken(
            options.identity,
            {
              ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
              ...(options.actFor !== undefined ? { actFor: options.actFor } : {}),
              ...(options.intent !== undefined ? { intent: options.intent } : {}),
              ...(options.task !== undefined ? { task: options.task } : {}),
              ...(options.acr !== undefined ? { acr: options.acr } : {}),
              ...(options.scope !== undefined ? { scope: options.scope } : {}),
              ...(options.reason !== undefined ? { reason: options.reason } : {}),
            },
            actorOf(directory, options),
          ),
        );
        if (options.json) {
          const { decodeJwt } = await import("jose");
          printJson({ token: issued.token, credential: issued.credential, claims: decodeJwt(issued.token) });
        } else {
          process.stdout.write(human`${issued.token}\n`);
        }
      }),
    );
}

function jwksCommand(): Command {
  return withJson(withData(new Command("jwks")))
    .description("print the JWK Set that verifies Arbiter's tokens (creates the signing key on first use)")
    .action(
      action(async (options: DataOption) => {
        printJson(await withDirectory(options, (directory) => directory.jwks()));
      }),
    );
}

export function tokenCommand(): Command {
  return new Command("token").description("short-lived access tokens").addCommand(issueCommand()).addCommand(jwksCommand());
}
