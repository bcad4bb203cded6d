// `arbiter init`: create the data directory, keys and default config (idempotent).
import { Command } from "commander";
import { initLedgerDir } from "../../ledger/index.js";
import { ArbiterError } from "../../record/errors.js";
import { ensureTokenKey } from "../../identity/index.js";
import { DEFAULT_PG_SCHEMA, loadBindingKey, postgresStoreSetting, redactUrl, type PostgresStoreSetting } from "../../store/index.js";
import { action, dataDir, printJson, withData, withJson, type DataOption, type JsonOption } from "../door.js";
import { settingsFor, withSettingFlags } from "../settings-flags.js";
import { human } from "../../record/index.js";

interface InitOptions extends DataOption, JsonOption {
  origin?: string;
  checkpointInterval?: string;
  store?: string;
  storeSchema?: string;
}

/** The store flags as config.json's setting; a refusal names the flag, never the URL (it may hold a password). */
function storeSetting(options: InitOptions): PostgresStoreSetting | undefined {
  if (options.store === undefined) {
    if (options.storeSchema !== undefined) throw new ArbiterError("USAGE", "--store-schema needs --store");
    return undefined;
  }
  const parsed = postgresStoreSetting.safeParse({ engine: "postgres", url: options.store, schema: options.storeSchema ?? DEFAULT_PG_SCHEMA });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new ArbiterError("USAGE", `${issue?.path[0] === "schema" ? "--store-schema" : "--store"} ${issue?.message ?? "is invalid"}`);
}

export function initCommand(): Command {
  const command = new Command("init")
    .description("create the data directory with its signing key, verifier key, config and store")
    .option("--origin <name>", "the log's origin, the name in its checkpoints (default: arbiter.local/<random>)")
    .option("--store <url>", "keep the store in PostgreSQL (postgres://user@host/db; a password here is kept in config.json, readable by its owner only) instead of the data directory's arbiter.db")
    .option("--store-schema <name>", `the PostgreSQL schema that holds the store's tables (default: ${DEFAULT_PG_SCHEMA})`);
  return withSettingFlags(withJson(withData(command)), ["ledger.checkpoint_interval"]).action(
    action((options: InitOptions) => {
      const store = storeSetting(options);
      // Only a flag is recorded in config.json: the environment's value applies when a process runs, not forever.
      const interval = options.checkpointInterval !== undefined ? settingsFor(undefined, { checkpointInterval: options.checkpointInterval }, ["ledger.checkpoint_interval"]).settings.ledger.checkpoint_interval : undefined;
      const result = initLedgerDir(dataDir(options), {
        ...(options.origin !== undefined ? { origin: options.origin } : {}),
        ...(interval !== undefined ? { checkpointIntervalMs: interval } : {}),
        ...(store !== undefined ? { store } : {}),
      });
      // Replicas on one PostgreSQL store are copies of this directory: the keys they must share (the
      // binding key of argument digests and redaction markers, the token key) exist before it is copied.
      if (result.config.store !== undefined) {
        loadBindingKey(result.dir);
        ensureTokenKey(result.dir);
      }
      const shown = result.config.store === undefined ? undefined : { ...result.config.store, url: redactUrl(result.config.store.url) };
      if (options.json) {
        printJson({ created: result.created, dir: result.dir, origin: result.config.origin, vkey: result.vkey, ...(shown !== undefined ? { store: shown } : {}) });
        return;
      }
      const verb = result.created ? "created" : "already initialised";
      const where = shown === undefined ? "" : human`store: ${shown.url} (schema ${shown.schema})\n`;
      process.stdout.write(human`${verb}: ${result.dir}\norigin: ${result.config.origin}\nverifier key: ${result.vkey}\n` + where);
    }),
  );
}
