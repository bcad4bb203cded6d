// `arbiter log tail|show`: the ledger for people.
import { Command } from "commander";
import type { Ledger } from "../../ledger/index.js";
import { leafHash } from "../../ledger/index.js";
import { escapeControls, humanJson, verifyCommitment } from "../../record/index.js";
import { ArbiterError } from "../../record/errors.js";
import { action, parseIndex, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withLedger } from "../session.js";

type Options = DataOption & JsonOption;

type Json = Record<string, unknown>;

function field(value: unknown, ...path: string[]): string {
  let at: unknown = value;
  for (const key of path) at = typeof at === "object" && at !== null ? (at as Json)[key] : undefined;
  return typeof at === "string" || typeof at === "number" ? escapeControls(String(at)) : "-";
}

/**
 * One line per entry: index, time, kind, subject, action, resource, outcome, reason (for a lifecycle
 * record: identity, event, credential, actor); each field escaped, so one entry is one line.
 */
export function summarize(index: number, bytes: Buffer): string {
  const record = JSON.parse(bytes.toString("utf8")) as Json;
  // A lifecycle record has no action or outcome: its columns are the identity, the event
  // (created, key_issued, rotated, suspended, …), the credential it concerns and who acted.
  if (record.kind === "lifecycle") {
    return [
      String(index).padStart(6),
      field(record, "time"),
      field(record, "kind").padEnd(13),
      field(record, "identity", "id"),
      field(record, "event"),
      field(record, "credential", "id"),
      `by ${field(record, "actor", "id")}`,
    ].join("  ");
  }
  // Whoever the entry is about: the acting subject, the identity a lifecycle record changes, or the
  // actor of a policy change or grant.
  const subject = [field(record, "subject", "id"), field(record, "identity", "id"), field(record, "actor", "id")].find((s) => s !== "-") ?? "-";
  const outcome = field(record, "outcome") !== "-" ? field(record, "outcome") : field(record, "status");
  return [
    String(index).padStart(6),
    field(record, "time"),
    field(record, "kind").padEnd(13),
    subject,
    field(record, "action"),
    field(record, "resource", "id"),
    outcome,
    field(record, "reason_code"),
  ].join("  ");
}

interface TailOptions extends Options {
  lines: string;
  follow?: boolean;
}

function printRange(ledger: Ledger, from: number, to: number, json: boolean): void {
  for (const entry of ledger.reader.entries(from, to)) {
    if (json) printJson({ index: entry.index, record: JSON.parse(entry.data.toString("utf8")) as unknown });
    else process.stdout.write(`${summarize(entry.index, entry.data)}\n`);
  }
}

export function tailCommand(): Command {
  return withJson(withData(new Command("tail")))
    .description("print the latest entries, one line each (or JSON lines)")
    .option("-n, --lines <n>", "how many entries", "20")
    .option("-f, --follow", "keep printing entries as they are appended")
    .action(
      action(async (options: TailOptions) => {
        const count = parseIndex(options.lines, "--lines");
        await withLedger(options, async (ledger) => {
          let next = Math.max(0, ledger.size() - count);
          printRange(ledger, next, ledger.size(), options.json === true);
          next = ledger.size();
          while (options.follow) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            const size = ledger.size();
            printRange(ledger, next, size, options.json === true);
            next = size;
          }
        });
      }),
    );
}

interface ShowOptions extends Options {
  reveal?: boolean;
}

function locate(ledger: Ledger, ref: string): number {
  if (/^\d+$/.test(ref)) return parseIndex(ref, "entry index");
  const location = ledger.reader.locateRecord(ref);
  if (!location) throw new ArbiterError("NOT_FOUND", `no record with id ${JSON.stringify(ref)} in the ledger`);
  return location.index;
}

/** Raw values kept beside the leaf, each checked against its commitment; erased ones are simply absent. */
function revealed(ledger: Ledger, record: Json): Json {
  const commitments = (record.commitments ?? {}) as Record<string, string>;
  const rows = new Map(ledger.reader.rawValuesOf(String(record.id)).map((row) => [row.commitment, row]));
  const out: Json = {};
  for (const [name, commitment] of Object.entries(commitments)) {
    const row = rows.get(commitment);
    if (!row) {
      out[name] = { erased: true };
      continue;
    }
    const value = JSON.parse(row.value) as unknown;
    out[name] = { value, salt: row.salt, matches_commitment: verifyCommitment(commitment, row.salt, value) };
  }
  return out;
}

export function showCommand(): Command {
  return withJson(withData(new Command("show")))
    .description("show one record by id or index, with its leaf hash")
    .argument("<ref>", "record id or entry index")
    .option("--reveal", "also show the raw sensitive values kept beside the leaf (unless erased)")
    .action(
      action(async (ref: string, options: ShowOptions) => {
        const shown = await withLedger(options, (ledger) => {
          const index = locate(ledger, ref);
          const bytes = ledger.entry(index);
          const record = JSON.parse(bytes.toString("utf8")) as Json;
          return {
            index,
            leaf_hash: leafHash(bytes).toString("base64"),
            record,
            ...(options.reveal ? { raw_values: revealed(ledger, record) } : {}),
          };
        });
        if (options.json) printJson(shown);
        else process.stdout.write(`${humanJson(shown)}\n`);
      }),
    );
}
