// `arbiter log append`: records from outside enforcement points, as JSON lines, each acknowledged once durable.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { Appended, Ledger } from "../../ledger/index.js";
import { ArbiterError, isArbiterError } from "../../record/errors.js";
import { EXIT, action, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { withLedger } from "../session.js";
import { human } from "../../record/index.js";

/** Lines longer than this cannot hold a valid record (leaves are at most 64 KiB) and are refused unread. */
const MAX_LINE_CHARS = 1 << 20;
/** Appends in flight at once: enough to fill a group commit, few enough to bound memory. */
const WINDOW = 4096;

interface LineResult {
  line: number;
  appended?: Appended;
  error?: ArbiterError;
}

function describe(err: unknown): ArbiterError {
  if (isArbiterError(err)) return err;
  return new ArbiterError("LEDGER_UNAVAILABLE", err instanceof Error ? err.message : String(err));
}

function parseLine(text: string, line: number): unknown {
  if (text.length > MAX_LINE_CHARS) {
    throw new ArbiterError("RECORD_TOO_LARGE", `line is ${text.length} characters, far over the 65536-byte leaf limit`, { line });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ArbiterError("INVALID_JSON", `invalid JSON: ${err instanceof Error ? err.message : String(err)}`, { line });
  }
}

function report(result: LineResult, json: boolean): void {
  if (result.error) {
    if (json) printJson({ line: result.line, error: { code: result.error.code, message: result.error.message } });
    else process.stderr.write(human`arbiter: line ${result.line}: ${result.error.message} [${result.error.code}]\n`);
  } else if (result.appended) {
    if (json) printJson({ line: result.line, index: result.appended.index, id: result.appended.id });
    else process.stdout.write(human`${result.appended.index}\n`);
  }
}

/** Appends every valid line; reports each result in input order as soon as it is durable. */
export async function appendJsonLines(ledger: Ledger, source: string, options: JsonOption): Promise<{ appended: number; rejected: number }> {
  const input = source === "-" ? process.stdin : createReadStream(source);
  const failedToOpen = new Promise<never>((_, reject) => input.once("error", reject));
  failedToOpen.catch(() => undefined);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const inFlight: Promise<LineResult>[] = [];
  let appended = 0;
  let rejected = 0;
  const settle = async (): Promise<void> => {
    const result = await (inFlight.shift() as Promise<LineResult>);
    if (result.error) rejected++;
    else appended++;
    report(result, options.json === true);
  };
  let line = 0;
  const consume = async (): Promise<void> => {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      const at = line;
      let pending: Promise<LineResult>;
      try {
        pending = ledger.append(parseLine(text, at)).then(
          (ok) => ({ line: at, appended: ok }),
          (err: unknown) => ({ line: at, error: describe(err) }),
        );
      } catch (err) {
        pending = Promise.resolve({ line: at, error: describe(err) });
      }
      inFlight.push(pending);
      if (inFlight.length >= WINDOW) await settle();
    }
  };
  await Promise.race([consume(), failedToOpen]).catch((err: unknown) => {
    throw new ArbiterError("USAGE", `cannot read ${source}: ${err instanceof Error ? err.message : String(err)}`);
  });
  while (inFlight.length > 0) await settle();
  return { appended, rejected };
}

interface AppendOptions extends DataOption, JsonOption {}

export function appendCommand(): Command {
  const command = new Command("append")
    .description("append records given as JSON lines (FILE, or - for stdin); prints each index once it is durable")
    .argument("[file]", "file of JSON lines, or - for stdin", "-");
  return withJson(withData(command)).action(
    action(async (file: string, options: AppendOptions) => {
      const { rejected, appended } = await withLedger(options, (ledger) => appendJsonLines(ledger, file, options));
      if (!options.json) process.stderr.write(human`appended ${appended} record(s)${rejected ? `, rejected ${rejected} line(s)` : ""}\n`);
      if (rejected > 0) process.exitCode = EXIT.failed;
    }),
  );
}
