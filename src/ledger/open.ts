// Creating and opening a ledger in a data directory.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ArbiterError } from "../record/errors.js";
import {
  DATA_FILES,
  DATA_FORMAT,
  createDataDir,
  createStoreAt,
  initStore,
  inspectDataDir,
  loadBindingKey,
  openStore,
  readConfig,
  readPublicFile,
  readSecretFile,
  redactUrl,
  writeFileAtomic,
  writePublicFile,
  writeSecretFile,
  type CheckpointerOptions,
  type DataDirConfig,
  type PostgresStoreSetting,
  type Store,
} from "../store/index.js";
import { parseCheckpoint } from "./checkpoint.js";
import { Ledger } from "./ledger.js";
import type { SignedCheckpoint } from "./ledger-types.js";
import { generateKeyPair, signerFromSkey, verifierFromVkey } from "./note.js";
import { assertNotRolledBack, dataDirCheckpoint, type OutsideCheckpoint } from "./rollback.js";

export const DEFAULT_CHECKPOINT_INTERVAL_MS = 1000;

export interface InitOptions {
  origin?: string;
  checkpointIntervalMs?: number;
  /** Keep the store in PostgreSQL instead of the directory's arbiter.db; recorded in config.json. */
  store?: PostgresStoreSetting;
}

/** How a message names a store setting: its URL without the password. */
function describeStore(store: PostgresStoreSetting | undefined): string {
  return store === undefined ? "the data directory's own database" : `${redactUrl(store.url)} (schema ${store.schema})`;
}

export interface InitResult {
  created: boolean;
  dir: string;
  config: DataDirConfig;
  vkey: string;
}

/** Creates the data directory, signing key (0600), verifier key, config and store; idempotent. */
export function initLedgerDir(dir: string, options: InitOptions = {}): InitResult {
  const state = inspectDataDir(dir);
  if (state === "arbiter") {
    const config = readConfig(dir);
    if (options.origin !== undefined && options.origin !== config.origin) {
      throw new ArbiterError(
        "USAGE",
        `${dir} is already initialised with origin ${config.origin}; a log's origin never changes`,
        { dir },
      );
    }
    if (options.store !== undefined && (options.store.url !== config.store?.url || options.store.schema !== config.store.schema)) {
      throw new ArbiterError(
        "USAGE",
        `${dir} is already initialised with its store in ${describeStore(config.store)}; a data directory's store never changes`,
        { dir },
      );
    }
    readSecretFile(join(dir, DATA_FILES.signingKey));
    initStore(dir, { create: false });
    return { created: false, dir, config, vkey: readPublicFile(join(dir, DATA_FILES.verifierKey)) };
  }
  const origin = options.origin ?? `arbiter.local/${randomBytes(4).toString("hex")}`;
  const { skey, vkey } = generateKeyPair(origin);
  const config: DataDirConfig = {
    format: DATA_FORMAT,
    origin,
    checkpoint_interval_ms: options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
    created_at: new Date().toISOString(),
    ...(options.store !== undefined ? { store: options.store } : {}),
  };
  // A store outside the directory is made first: an unreachable server leaves no directory behind.
  if (options.store !== undefined) createStoreAt(options.store);
  createDataDir(dir, config);
  writeSecretFile(join(dir, DATA_FILES.signingKey), `${skey}\n`);
  writePublicFile(join(dir, DATA_FILES.verifierKey), `${vkey}\n`);
  if (options.store === undefined) initStore(dir, { create: true });
  return { created: true, dir, config, vkey };
}

export interface OpenLedgerOptions {
  /** Overrides the configured interval; 0 signs only on demand and on close. */
  checkpointIntervalMs?: number;
  groupCommit?: boolean;
  /** See OpenOptions.busyTimeoutMs. */
  busyTimeoutMs?: number;
  /** Fold the WAL into the database on a worker thread (long-running processes such as `serve`); options tune it. */
  backgroundCheckpoints?: boolean | CheckpointerOptions;
  /**
   * Refuse a log that does not hold the tree of the data directory's latest.checkpoint or of any of
   * `witnesses` (default true; `log verify` turns it off to report the same as a finding).
   */
  rollbackCheck?: boolean;
  /** Checkpoints of this log held elsewhere (a witness's copies), checked as the data directory's own. */
  witnesses?: readonly OutsideCheckpoint[];
}

export interface OpenedLedger {
  ledger: Ledger;
  config: DataDirConfig;
  vkey: string;
  /**
   * The data directory's store, every repository on the connection the ledger writes through, so
   * that other capabilities' changes commit with ledger entries. It closes with the ledger.
   */
  store: Store;
}

/** Opens an initialised data directory; refuses missing, foreign or damaged ones without writing. */
export function openLedger(dir: string, options: OpenLedgerOptions = {}): OpenedLedger {
  const state = inspectDataDir(dir);
  if (state !== "arbiter") {
    throw new ArbiterError("DATA_DIR_INVALID", `${dir} is not initialised; run \`arbiter init --data ${dir}\``, { dir });
  }
  const config = readConfig(dir);
  const signer = signerFromSkey(readSecretFile(join(dir, DATA_FILES.signingKey)));
  const vkey = readPublicFile(join(dir, DATA_FILES.verifierKey));
  const verifier = verifierFromVkey(vkey);
  if (signer.name !== config.origin || verifier.name !== config.origin || signer.keyId !== verifier.keyId) {
    throw new ArbiterError("DATA_DIR_INVALID", `${dir}: the signing key, verifier key and origin do not belong together`, { dir });
  }
  const store = openStore(dir, {
    backgroundCheckpoints: options.backgroundCheckpoints ?? false,
    ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
  });
  const checkpointFile = join(dir, DATA_FILES.checkpoint);
  if (options.rollbackCheck !== false) {
    try {
      assertNotRolledBack(store.ledger, [...dataDirCheckpoint(checkpointFile), ...(options.witnesses ?? [])], verifier, config.origin);
    } catch (err) {
      store.ledger.close();
      throw err;
    }
  }
  const ledger = new Ledger(store.ledger, {
    onCheckpoint: checkpointPublisher(checkpointFile),
    origin: config.origin,
    signer,
    verifier,
    vkey,
    checkpointIntervalMs: options.checkpointIntervalMs ?? config.checkpoint_interval_ms,
    groupCommit: options.groupCommit ?? true,
    redactionKey: () => loadBindingKey(dir),
  });
  return { ledger, config, vkey, store };
}

function publishedSize(file: string): number {
  if (!existsSync(file)) return 0;
  try {
    return parseCheckpoint(readFileSync(file, "utf8").split("\n\n")[0] + "\n").size;
  } catch {
    return 0;
  }
}

/**
 * Keeps the latest signed checkpoint in the data directory, outside the database: only ever moved
 * forward (another process on the same directory may have published a larger one meanwhile), and
 * written atomically so that a crash never leaves a torn copy that would refuse the next start.
 */
function checkpointPublisher(file: string): (cp: SignedCheckpoint) => void {
  let published = publishedSize(file);
  return (cp) => {
    if (cp.size <= published) return;
    published = Math.max(published, publishedSize(file));
    if (cp.size <= published) return;
    writeFileAtomic(file, cp.note);
    published = cp.size;
  };
}
