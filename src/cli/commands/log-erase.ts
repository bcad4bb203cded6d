// `arbiter log erase`: delete raw sensitive values of a subject or a record; every proof stays valid.
import { Command } from "commander";
import { ArbiterError } from "../../record/errors.js";
import { action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withLedger } from "../session.js";
import { human } from "../../record/index.js";

interface EraseOptions extends DataOption, JsonOption {
  actor?: string;
  subject?: string;
  record?: string;
  reason?: string;
}

export function eraseCommand(): Command {
  return withJson(withData(new Command("erase")))
    .description("erase the raw sensitive values kept beside the leaves for a subject or a record")
    .option("--subject <id>", "erase every raw value recorded for this subject")
    .option("--record <id>", "erase the raw values of this record")
    .option("--reason <text>", "why (kept in the ledger's erasure record)", "erasure requested")
    .option("--actor <id>", "who asks for the erasure (default: $ARBITER_ACTOR, else the OS account)")
    .action(
      action(async (options: EraseOptions) => {
        if ((options.subject === undefined) === (options.record === undefined)) {
          throw new ArbiterError("USAGE", "give exactly one of --subject ID or --record ID");
        }
        const selector = options.subject !== undefined ? { subjectId: options.subject } : { recordId: options.record as string };
        const { localAccount } = await import("../../identity/index.js");
        const { name, determinedBy } = localAccount(options.actor);
        const who = { id: name, type: "human" as const };
        // The erasure itself is evidence: who asked for what to be forgotten, with no erased value in it.
        // One ledger operation: the values go exactly when this record is durable.
        const result = await withLedger(options, async (ledger) => {
          const done = await ledger.erase(selector, (erased) => ({
            kind: "event",
            source: "arbiter",
            subject: who,
            caller: { ...who, determined_by: determinedBy },
            action: "erase_raw_values",
            resource: { id: options.subject ?? options.record ?? "", type: options.subject ? "subject" : "record" },
            outcome: "allow",
            note: options.reason,
            attributes: { erased_values: erased },
          }));
          return { erased: done.erased, record_index: done.index };
        });
        if (options.json) printJson(result);
        else process.stdout.write(human`erased ${result.erased} raw value(s); erasure recorded at index ${result.record_index}\n`);
      }),
    );
}
