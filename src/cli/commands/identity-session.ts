// What every `arbiter identity` and `arbiter token` command shares: the open directory, the actor, attribute options.
import type { Command } from "commander";
import type { Actor, IdentityDirectory } from "../../identity/index.js";
import { openLedger } from "../../ledger/index.js";
import { ArbiterError } from "../../record/errors.js";
import type { JsonObject } from "../../record/index.js";
import { dataDir, withData, withJson, type DataOption, type JsonOption } from "../door.js";

export interface ActorOption extends DataOption, JsonOption {
  actor?: string;
}

/** Adds --data, --json and --actor. */
export function withActor(command: Command): Command {
  return withJson(withData(command)).option("--actor <id>", "who makes the change, recorded in the ledger (default: $ARBITER_ACTOR, else the OS account)");
}

/** Collects a repeatable option (`--group a --group b`) in the order given. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Opens the data directory's ledger and identity directory for one command, and always closes them. */
export async function withDirectory<T>(options: DataOption, fn: (directory: IdentityDirectory) => Promise<T> | T): Promise<T> {
  const dir = dataDir(options);
  // Loaded on demand: the token library and schemas would slow every other `arbiter` command by ~70 ms.
  const { IdentityDirectory } = await import("../../identity/index.js");
  const { ledger, config, store } = openLedger(dir, { checkpointIntervalMs: 0 });
  try {
    const directory = new IdentityDirectory({ identities: store.identities, ledger, dataDir: dir, issuer: config.origin });
    return await fn(directory);
  } finally {
    await ledger.close();
  }
}

/** --actor, else $ARBITER_ACTOR, else the OS account: as the directory knows it, else as a human of that name. */
export function actorOf(directory: IdentityDirectory, options: ActorOption): Actor {
  return directory.localActor(options.actor);
}

export interface AttributeOptions {
  attr?: string[];
  attrs?: string;
}

/** `--attrs JSON` with each `--attr key=value` (a string) set on top, or undefined when neither is given. */
export function attributesOf(options: AttributeOptions): JsonObject | undefined {
  if (options.attr === undefined && options.attrs === undefined) return undefined;
  return { ...(options.attrs !== undefined ? parseJsonObject(options.attrs, "--attrs") : {}), ...parseAttributes(options.attr ?? []) };
}

export function withAttributes(command: Command): Command {
  return command
    .option("--attr <key=value>", "an attribute policies can read, as a string (repeatable)", collect)
    .option("--attrs <json>", "attributes as a JSON object (--attr pairs are set on top)");
}

function parseAttributes(pairs: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new ArbiterError("USAGE", `--attr takes key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ArbiterError("USAGE", `${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ArbiterError("USAGE", `${what} must be a JSON object`);
  return value as JsonObject;
}
