// `arbiter log checkpoint|vkey|entry|prove|consistency`: the ledger's signed state and its proofs.
import { Command } from "commander";
import { action, parseIndex, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withLedger } from "../session.js";
import { human } from "../../record/index.js";

type Options = DataOption & JsonOption;

export function checkpointCommand(): Command {
  return withJson(withData(new Command("checkpoint")))
    .description("sign (if the log grew) and print the latest checkpoint, a C2SP signed note")
    .action(
      action(async (options: Options) => {
        const cp = await withLedger(options, (ledger) => ledger.checkpoint());
        if (options.json) printJson({ origin: cp.origin, size: cp.size, root: cp.root.toString("base64"), signed_at: cp.signedAt, note: cp.note });
        else process.stdout.write(cp.note);
      }),
    );
}

export function vkeyCommand(): Command {
  return withData(new Command("vkey"))
    .description("print the verifier key (C2SP name+keyid+base64 form)")
    .action(
      action(async (options: Options) => {
        const vkey = await withLedger(options, (ledger) => ledger.vkey);
        process.stdout.write(human`${vkey}\n`);
      }),
    );
}

export function entryCommand(): Command {
  return withData(new Command("entry"))
    .description("write the exact leaf bytes of entry N to stdout")
    .argument("<n>", "entry index")
    .action(
      action(async (n: string, options: Options) => {
        const bytes = await withLedger(options, (ledger) => ledger.entry(parseIndex(n, "entry index")));
        process.stdout.write(bytes);
      }),
    );
}

export function proveCommand(): Command {
  return withData(new Command("prove"))
    .description("print the c2sp.org/tlog-proof@v1 inclusion proof of entry N against the latest checkpoint")
    .argument("<n>", "entry index")
    .action(
      action(async (n: string, options: Options) => {
        const proof = await withLedger(options, (ledger) => ledger.proveInclusion(parseIndex(n, "entry index")));
        process.stdout.write(proof);
      }),
    );
}

interface ConsistencyOptions extends Options {
  old: string;
}

export function consistencyCommand(): Command {
  return withData(new Command("consistency"))
    .description("print the consistency proof from tree size N to the latest checkpoint")
    .requiredOption("--old <n>", "the older tree size")
    .action(
      action(async (options: ConsistencyOptions) => {
        const proof = await withLedger(options, (ledger) => ledger.proveConsistency(parseIndex(options.old, "--old")));
        process.stdout.write(proof);
      }),
    );
}
