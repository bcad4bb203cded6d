// The data directory: config, keys and the embedded database, checked before anything is written.
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { ArbiterError } from "../record/errors.js";
import { postgresStoreSetting } from "./postgres/location.js";

export const DATA_FORMAT = "arbiter-data/v1";

export const DATA_FILES = {
  config: "config.json",
  signingKey: "signing.key",
  verifierKey: "verifier.key",
  database: "arbiter.db",
  /** The latest signed checkpoint, kept outside the database so that a truncated or restored database is noticed. */
  checkpoint: "latest.checkpoint",
  /** The secret that keys argument digests and the ledger's redaction markers (docs/record.md). */
  bindingKey: "binding.key",
} as const;

const configSchema = z.object({
  format: z.literal(DATA_FORMAT),
  origin: z.string().min(1),
  checkpoint_interval_ms: z.number().int().min(0),
  created_at: z.string(),
  /** Where the store lives when it is not the embedded database in the directory (absent: arbiter.db). */
  store: postgresStoreSetting.optional(),
});

export type DataDirConfig = z.infer<typeof configSchema>;

/** `--data DIR`, else ARBITER_DATA, else ./.arbiter. */
export function resolveDataDir(option?: string): string {
  return resolve(option ?? process.env.ARBITER_DATA ?? ".arbiter");
}

export type DataDirState = "missing" | "empty" | "arbiter";

/** Tells what lies at `dir`; throws DATA_DIR_INVALID for anything that is not ours to use. */
export function inspectDataDir(dir: string): DataDirState {
  if (!existsSync(dir)) return "missing";
  if (!statSync(dir).isDirectory()) {
    throw new ArbiterError("DATA_DIR_INVALID", `${dir} is not a directory`, { path: dir });
  }
  if (readdirSync(dir).length === 0) return "empty";
  if (!existsSync(join(dir, DATA_FILES.config))) {
    throw new ArbiterError(
      "DATA_DIR_INVALID",
      `${dir} is not an Arbiter data directory (no ${DATA_FILES.config}); refusing to use it`,
      { path: dir },
    );
  }
  return "arbiter";
}

export function readConfig(dir: string): DataDirConfig {
  const path = join(dir, DATA_FILES.config);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is not readable JSON: ${reason}`, { path });
  }
  const result = configSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "(root)";
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is not an Arbiter configuration: ${where}: ${issue?.message ?? "invalid"}`, { path });
  }
  return result.data;
}

export function createDataDir(dir: string, config: DataDirConfig): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A store URL may hold a password: then the config is a secret, readable by its owner only.
  const secret = config.store !== undefined && hasPassword(config.store.url);
  writeFileSync(join(dir, DATA_FILES.config), `${JSON.stringify(config, null, 2)}\n`, { flag: "wx", ...(secret ? { mode: 0o600 } : {}) });
}

function hasPassword(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.password !== "" || [...parsed.searchParams.keys()].some((k) => k.toLowerCase() === "password");
  } catch {
    return true;
  }
}

/** Writes a secret readable by its owner only; never overwrites. */
export function writeSecretFile(path: string, content: string): void {
  writeFileSync(path, content, { flag: "wx", mode: 0o600 });
  chmodSync(path, 0o600);
}

export function writePublicFile(path: string, content: string): void {
  writeFileSync(path, content, { flag: "wx", mode: 0o644 });
}

/** Reads a secret, refusing one that others can read (as ssh refuses a private key with loose modes). */
export function readSecretFile(path: string): string {
  if (!existsSync(path)) {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is missing; run \`arbiter init\``, { path });
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ArbiterError(
      "DATA_DIR_INVALID",
      `${path} is accessible by other users (mode ${mode.toString(8)}); run chmod 600 on it`,
      { path },
    );
  }
  return readFileSync(path, "utf8").trim();
}

/**
 * The data directory's binding key, created (0600) on first use. Written beside and linked into
 * place, so that a process starting at the same moment reads either no file or the whole key, and
 * two that create it at once both use the one linked first.
 */
export function loadBindingKey(dir: string): Buffer {
  const path = join(dir, DATA_FILES.bindingKey);
  if (!existsSync(path)) {
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    try {
      linkSync(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      unlinkSync(temp);
    }
  }
  const key = Buffer.from(readSecretFile(path), "base64url");
  if (key.length < 32) throw new ArbiterError("DATA_DIR_INVALID", `${path} does not hold a 32-byte key`, { path });
  return key;
}

export function readPublicFile(path: string): string {
  if (!existsSync(path)) {
    throw new ArbiterError("DATA_DIR_INVALID", `${path} is missing; run \`arbiter init\``, { path });
  }
  return readFileSync(path, "utf8").trim();
}

/**
 * Replaces path with content so that a crash leaves the old file or the new one, never a torn one:
 * a temporary file beside it is written and fsync'd, renamed over it, and the directory fsync'd.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  const fd = openSync(temp, "w", 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
