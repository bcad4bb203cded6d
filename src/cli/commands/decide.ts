// `arbiter decide` and `arbiter explain`: a decision made and recorded locally, and why a recorded one came out as it did.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { ArbiterError, escapeControls, human } from "../../record/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { settingsFor } from "../settings-flags.js";
import { withRuntime } from "../session.js";
import { parseTimeFlag, TIME_FLAG_HELP } from "../time-flags.js";

interface DecideOptions extends DataOption, JsonOption {
  request?: string;
  subject?: string;
  credential?: string;
  action?: string;
  resource?: string;
  resourceAttr?: string[];
  context?: string;
  args?: string;
  intent?: string;
  trace?: string;
  actor?: string;
  at?: string;
  printId?: boolean;
}

function parseJsonOption(value: string | undefined, flag: string): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch (err) {
    throw new ArbiterError("USAGE", `${flag} must be JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** TYPE::ID, as Cedar writes entity references. */
function parseResource(value: string): { type: string; id: string } {
  const at = value.indexOf("::");
  if (at <= 0 || at === value.length - 2) throw new ArbiterError("USAGE", `--resource must be TYPE::ID, got ${JSON.stringify(value)}`);
  return { type: value.slice(0, at), id: value.slice(at + 2).replace(/^"(.*)"$/, "$1") };
}

function requestFrom(options: DecideOptions): unknown {
  if (options.request !== undefined) {
    const text = options.request === "-" ? readFileSync(0, "utf8") : readFileSync(options.request, "utf8");
    return parseJsonOption(text, "--request");
  }
  if (!options.action || !options.resource || (options.subject === undefined) === (options.credential === undefined)) {
    throw new ArbiterError("USAGE", "give --request FILE, or --action, --resource TYPE::ID and exactly one of --subject ID or --credential KEY");
  }
  const attributes = Object.fromEntries(
    (options.resourceAttr ?? []).map((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new ArbiterError("USAGE", `--resource-attr must be key=value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
  return {
    subject: options.subject !== undefined ? { id: options.subject } : { credential: options.credential },
    action: options.action,
    resource: { ...parseResource(options.resource), ...(Object.keys(attributes).length ? { attributes } : {}) },
    ...(options.context ? { context: parseJsonOption(options.context, "--context") } : {}),
    ...(options.args ? { args: parseJsonOption(options.args, "--args") } : {}),
    ...(options.intent ? { intent: options.intent } : {}),
    ...(options.trace ? { correlation: { trace_id: options.trace } } : {}),
    pep: { id: "arbiter-cli", kind: "cli" },
  };
}

export function decideCommand(): Command {
  return withJson(withData(new Command("decide")))
    .description("decide one request under the active policy and record it in the ledger")
    .option("--request <file>", "the request as JSON (the body of POST /v1/decisions), or - for stdin")
    .option("--subject <id>", "the identity asking (asserted, as a trusted PEP would)")
    .option("--credential <key>", "the caller's API key or token, to authenticate")
    .option("--action <name>", "the action")
    .option("--resource <type::id>", "the resource, e.g. Environment::prod")
    .option("--resource-attr <key=value>", "a resource attribute (repeatable)", collect)
    .option("--context <json>", "extra context declared by the policy schema")
    .option("--args <json>", "the call's arguments")
    .option("--intent <text>", "the task intent")
    .option("--trace <trace-id>", "W3C trace id to correlate")
    .option("--actor <id>", "who asks, recorded as the decision's caller (default: $ARBITER_ACTOR, else the OS account)")
    .option("--at <time>", `what-if: evaluate policy as if asked at TIME (${TIME_FLAG_HELP}); nothing is recorded or used up`)
    .option("--print-id", "print only the decision's id (for DECISION=$(arbiter decide … --print-id)); the exit code still says the outcome")
    .action(
      action(async (options: DecideOptions) => {
        if (options.printId && (options.json || options.at !== undefined)) throw new ArbiterError("USAGE", "--print-id prints a recorded decision's id: it does not go with --json or --at");
        const { decisionRequestSchema } = await import("../../decide/index.js");
        const parsed = decisionRequestSchema.safeParse(requestFrom(options));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new ArbiterError("REQUEST_INVALID", `${issue?.path.join(".") || "request"}: ${issue?.message ?? "invalid"}`);
        }
        if (options.at !== undefined) {
          const at = new Date(parseTimeFlag(options.at, "--at", new Date()));
          const answer = await withRuntime(options, (runtime) => runtime.engine.whatIf(parsed.data, at));
          if (options.json) printJson(answer);
          else {
            process.stdout.write(human`what-if at ${answer.what_if.at}: ${answer.outcome} ${answer.reason_code} (${answer.control}) — ${answer.note}\n`);
            process.stdout.write(human`policies: ${answer.policy.determining.join(", ") || "none"}; not a decision: nothing recorded, no approval requested, no grant or limit used\n`);
          }
          if (answer.outcome !== "allow") process.exitCode = 1;
          return;
        }
        const decision = await withRuntime(options, async (runtime) => {
          // An approval request opened here goes to the outbox; this command ends before a POST could, so `serve` or `arbiter notify deliver` sends it.
          const { startNotifications } = await import("../../runtime/index.js");
          const notifications = startNotifications(runtime, settingsFor(dataDir(options), options, []).settings.notify, { deliver: false, warn: (line) => process.stderr.write(human`arbiter ${line}\n`) });
          try {
            return await runtime.engine.decide(parsed.data, runtime.localCaller(options.actor));
          } finally {
            await notifications.close();
          }
        });
        if (options.json) printJson(decision);
        else if (options.printId) process.stdout.write(`${decision.decision_id}\n`);
        else {
          process.stdout.write(human`${decision.outcome} ${decision.reason_code} (${decision.control}) — ${decision.note}\n`);
          process.stdout.write(human`decision ${decision.decision_id} at ledger index ${decision.ledger.index}; policies: ${decision.policy.determining.join(", ") || "none"}\n`);
          if (decision.approval_request) process.stdout.write(human`approval request ${decision.approval_request.id} (${decision.approval_request.state}) until ${decision.approval_request.expires_at}\n`);
          if (decision.retry_after !== undefined) process.stdout.write(human`retry after ${decision.retry_after} s\n`);
        }
        if (decision.outcome !== "allow") process.exitCode = 1;
      }),
    );
}

const field = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? String(value) : "-");

/** Who approved (or is to approve) the call, when and why, and what is left of the grant. */
function approvalLines(approval: Record<string, unknown> | undefined, grant: Record<string, unknown> | undefined): string[] {
  const out: string[] = [];
  if (approval) {
    const state = field(approval.state);
    out.push(state === "pending"
      ? human`approval ${field(approval.id)}: pending, waits for an approver (${field(approval.approver_role)}) until ${field(approval.expires_at)}`
      : human`approval ${field(approval.id)}: ${state} by ${field(approval.approver)} at ${field(approval.decided_at)}: "${field(approval.justification)}" (opened by decision ${field(approval.decision_id)} at ${field(approval.created_at)})`);
  }
  if (grant) out.push(human`grant ${field(grant.id)}: ${field(grant.state)}, ${field(grant.uses_remaining)} use(s) left, expires ${field(grant.expires_at)}`);
  return out;
}

function enforcementLine(index: number, record: Record<string, unknown>): string {
  const pep = record.pep as { id?: unknown } | undefined;
  const upstream = record.upstream as { error?: unknown } | undefined;
  const took = typeof record.duration_ms === "number" ? ` in ${record.duration_ms} ms` : "";
  const error = upstream?.error !== undefined ? human` (${field(upstream.error)})` : "";
  return human`enforcement #${index}: ${field(record.status)} by ${field(pep?.id)}${took}` + error;
}

export function explainCommand(): Command {
  return withJson(withData(new Command("explain")))
    .description("explain a recorded decision: the determining policies, related records and its inclusion proof")
    .argument("<decision-id>")
    .action(
      action(async (id: string, options: DataOption & JsonOption) => {
        const explained = await withRuntime(options, (runtime) => runtime.decisions.explain(id));
        if (options.json) {
          printJson({
            index: explained.index,
            decision: explained.record,
            explanation: explained.explanation,
            ...(explained.approval ? { approval: explained.approval } : {}),
            ...(explained.grant ? { grant: explained.grant } : {}),
            related: explained.related,
            inclusion_proof: explained.proof,
          });
          return;
        }
        const out: string[] = [escapeControls(explained.explanation.summary), ""];
        out.push(...approvalLines(explained.approval, explained.grant));
        const enforcement = explained.related.filter((r) => r.record.kind === "enforcement");
        if (enforcement.length === 0) out.push("enforcement: none reported");
        for (const r of enforcement) out.push(enforcementLine(r.index, r.record));
        out.push("");
        for (const policy of explained.explanation.policies) {
          out.push(human`policy ${policy.id} (${policy.effect}, ${policy.reason}, ${policy.control})${policy.frameworks.length ? ` [${policy.frameworks.join(", ")}]` : ""}`, human`  ${policy.note}`, ...policy.text.split("\n").map((l) => human`  | ${l}`), "");
        }
        // Whole, one line each: a record cut short can hide the field that mattered.
        for (const related of explained.related) out.push(human`related #${related.index}: ${related.record.kind} ${JSON.stringify(related.record)}`);
        out.push(`ledger index ${explained.index}; inclusion proof:`, explained.proof);
        process.stdout.write(out.join("\n"));
      }),
    );
}
