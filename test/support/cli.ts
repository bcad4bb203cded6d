// Running the real, built `arbiter` command in a child process.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function arbiter(args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliResult {
  const result: SpawnSyncReturns<Buffer> = spawnSync(process.execPath, [CLI, ...args], {
    input: options.input ?? "",
    env: { ...process.env, ...options.env },
    cwd: options.cwd ?? ROOT,
    maxBuffer: 256 << 20,
  });
  return {
    status: result.status,
    stdout: result.stdout.toString("utf8"),
    stderr: result.stderr.toString("utf8"),
    stdoutBytes: result.stdout,
  };
}

export function spawnArbiter(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = "arbiter-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
