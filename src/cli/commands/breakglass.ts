// `arbiter breakglass start|list|end|review`: time-bound, justified overrides and their review.
import { Command } from "commander";
import { human } from "../../record/index.js";
import { action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withRuntime } from "../session.js";
import { parseDuration } from "../time-flags.js";

interface StartOptions extends DataOption, JsonOption {
  identity: string;
  justification: string;
  duration: string;
  actor?: string;
}

function startCommand(): Command {
  return withJson(withData(new Command("start")))
    .description("open a break-glass session for an identity, if policy allows it to break glass")
    .requiredOption("--identity <id>", "the identity that breaks glass")
    .requiredOption("--justification <text>", "why (at least 10 characters; kept in the ledger)")
    .option("--duration <d>", "how long, e.g. 30m (at most 4h)", "1h")
    .option("--actor <id>", "who asks, recorded as the decision's caller (default: $ARBITER_ACTOR, else the OS account)")
    .action(
      action(async (options: StartOptions) => {
        const result = await withRuntime(options, (runtime) =>
          runtime.breakGlassFlow.start(
            { subject: { id: options.identity }, justification: options.justification, durationSeconds: parseDuration(options.duration, "--duration") },
            runtime.localCaller(options.actor),
          ),
        );
        if (options.json) printJson(result);
        else process.stdout.write(human`${result.outcome} ${result.reason}: ${result.note}\ndecision ${result.decisionId} at ledger index ${result.index}\n`);
        if (!result.session) process.exitCode = 1;
      }),
    );
}

function listCommand(): Command {
  return withJson(withData(new Command("list")))
    .description("break-glass sessions, newest first")
    .option("--unreviewed", "only sessions awaiting review")
    .action(
      action(async (options: DataOption & JsonOption & { unreviewed?: boolean }) => {
        const { sessionView } = await import("../../decide/index.js");
        const sessions = await withRuntime(options, (runtime) => runtime.breakGlass.list({ unreviewed: options.unreviewed === true, limit: 500 }).map((s) => sessionView(s)));
        if (options.json) printJson({ sessions });
        else if (sessions.length === 0) process.stdout.write("no break-glass sessions\n");
        else for (const s of sessions) process.stdout.write(human`${String(s.id)}  ${String(s.identity)}  ${s.active ? "ACTIVE" : "closed"}  until ${String(s.expires_at)}  decisions ${String(s.decisions)}  ${s.review ? "reviewed" : "UNREVIEWED"}  "${String(s.justification)}"\n`);
      }),
    );
}

function endCommand(): Command {
  return withJson(withData(new Command("end")))
    .description("end a break-glass session before it expires")
    .argument("<session-id>")
    .option("--actor <id>", "who ends it (default: $ARBITER_ACTOR, else the OS account)")
    .action(
      action(async (id: string, options: DataOption & JsonOption & { actor?: string }) => {
        const { sessionView } = await import("../../decide/index.js");
        const session = await withRuntime(options, (runtime) => runtime.breakGlassFlow.end(id, runtime.localCaller(options.actor)));
        if (options.json) printJson(sessionView(session));
        else process.stdout.write(human`${id} ended at ${String(session.endedAt)}\n`);
      }),
    );
}

function reviewCommand(): Command {
  return withJson(withData(new Command("review")))
    .description("record the review of a break-glass session")
    .argument("<session-id>")
    .requiredOption("--note <text>", "the reviewer's finding")
    .option("--actor <id>", "the reviewer (default: $ARBITER_ACTOR, else the OS account)")
    .action(
      action(async (id: string, options: DataOption & JsonOption & { note: string; actor?: string }) => {
        const { sessionView } = await import("../../decide/index.js");
        const session = await withRuntime(options, (runtime) => runtime.breakGlassFlow.review(id, runtime.localCaller(options.actor), options.note));
        if (options.json) printJson(sessionView(session));
        else process.stdout.write(human`${id} reviewed by ${String(session.reviewer)}\n`);
      }),
    );
}

export function breakGlassCommand(): Command {
  return new Command("breakglass").description("break-glass overrides of policy denials").addCommand(startCommand()).addCommand(listCommand()).addCommand(endCommand()).addCommand(reviewCommand());
}
