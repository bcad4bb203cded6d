// `arbiter approvals list|approve|deny`: the approver's side of approval gates.
import { Command } from "commander";
import { ArbiterError, human } from "../../record/index.js";
import { action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withRuntime } from "../session.js";

interface ListOptions extends DataOption, JsonOption {
  state?: string;
  requester?: string;
  ids?: boolean;
}

interface DecideOptions extends DataOption, JsonOption {
  as: string;
  justification: string;
}

const STATES = ["pending", "approved", "denied", "expired"] as const;
type State = (typeof STATES)[number];

function listCommand(): Command {
  return withJson(withData(new Command("list")))
    .description("approval requests, newest first (default: pending)")
    .option("--state <state>", `one of ${STATES.join(", ")}`, "pending")
    .option("--requester <id>", "only requests of this identity")
    .option("--ids", "print only the requests' ids, one a line (for APPROVAL=$(arbiter approvals list --ids))")
    .action(
      action(async (options: ListOptions) => {
        if (!STATES.includes(options.state as State)) throw new ArbiterError("USAGE", `--state must be one of ${STATES.join(", ")}`);
        if (options.ids && options.json) throw new ArbiterError("USAGE", "--ids and --json are two outputs: give one");
        const state = options.state as State;
        const { approvalView } = await import("../../decide/index.js");
        const views = await withRuntime(options, (runtime) => {
          const now = runtime.now();
          return runtime.approvals.list({ state, ...(options.requester ? { requesterId: options.requester } : {}), limit: 500, now }).map((r) => approvalView(r, now));
        });
        if (options.json) printJson({ approvals: views });
        else if (options.ids) process.stdout.write(views.map((v) => `${String(v.id)}\n`).join(""));
        else if (views.length === 0) process.stdout.write(human`no ${state} approval requests\n`);
        else {
          for (const v of views) {
            const requester = v.requester as { id: string };
            const resource = v.resource as { type: string; id: string };
            process.stdout.write(human`${String(v.id)}  ${String(v.state)}  ${requester.id} -> ${String(v.action)} ${resource.type}::${resource.id}  until ${String(v.expires_at)}\n`);
          }
        }
      }),
    );
}

function decisionCommand(verb: "approve" | "deny"): Command {
  return withJson(withData(new Command(verb)))
    .description(verb === "approve" ? "approve a request: issues a JIT grant for exactly the requested call" : "deny a request")
    .argument("<request-id>")
    .requiredOption("--as <approver>", "the approver's identity (a human with the approver role)")
    .requiredOption("--justification <text>", "why (kept in the ledger)")
    .action(
      action(async (id: string, options: DecideOptions) => {
        const result = await withRuntime(options, async (runtime) => {
          const approver = runtime.identities.get(options.as);
          if (!approver) throw new ArbiterError("IDENTITY_NOT_FOUND", `no identity ${JSON.stringify(options.as)}`);
          if (verb === "approve") {
            const { request, grant } = await runtime.engine.approvals.approve(id, approver, options.justification);
            return { approval: { id: request.id, state: request.state }, grant: { id: grant.id, uses_remaining: grant.usesRemaining, expires_at: grant.expiresAt } };
          }
          const request = await runtime.engine.approvals.deny(id, approver, options.justification);
          return { approval: { id: request.id, state: request.state } };
        });
        if (options.json) printJson(result);
        else {
          const grant = "grant" in result ? result.grant : undefined;
          process.stdout.write(human`${result.approval.id}: ${result.approval.state}${grant ? `; grant ${grant.id} (${grant.uses_remaining} use(s) until ${grant.expires_at})` : ""}\n`);
        }
      }),
    );
}

export function approvalsCommand(): Command {
  return new Command("approvals").description("approval requests held by approval gates").addCommand(listCommand()).addCommand(decisionCommand("approve")).addCommand(decisionCommand("deny"));
}
