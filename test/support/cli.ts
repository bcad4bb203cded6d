// Running the real, built `arbiter` command in a child process.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";
import { storeInitFlags } from "./data-dir.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export function arbiter(args: readonly string[], options: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliResult {
  const storeFlags = isInit(args) ? storeInitFlags(dataDirOf(args, { ...process.env, ...options.env }, options.cwd ?? ROOT)) : [];
  const result: SpawnSyncReturns<Buffer> = spawnSync(process.execPath, [CLI, ...args, ...storeFlags], {
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

/** `arbiter init` without a store of its own, which makes its directory on the store under test (support/data-dir.ts). */
function isInit(args: readonly string[]): boolean {
  const command = args.find((arg, i) => !arg.startsWith("-") && args[i - 1] !== "--data");
  return command === "init" && !args.includes("--store") && !args.includes("--help");
}

function dataDirOf(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): string {
  const flag = args.indexOf("--data");
  const dir = flag >= 0 ? args[flag + 1] : env.ARBITER_DATA;
  return resolve(cwd, dir ?? ".arbiter");
}

export function spawnArbiter(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
}

export interface DemoServer {
  child: ReturnType<typeof spawnArbiter>;
  url: string;
  /** The demo identities' API keys, from the data directory's demo-credentials.json. */
  keys: Record<string, string>;
  /** Everything the server printed so far, both streams. */
  printed: () => string;
  exited: Promise<number | null>;
}

/** `arbiter serve --demo` on a free port over `data`, resolved once it has printed its address and the demo keys. */
export async function startDemoServe(data: string, env: NodeJS.ProcessEnv = {}): Promise<DemoServer> {
  // serve --demo makes a missing directory on SQLite; on the store under test it is made first.
  if (storeInitFlags(data).length > 0) {
    const init = arbiter(["init", "--data", data, "--origin", "demo.arbiter.local/ledger"]);
    if (init.status !== 0) throw new Error(`arbiter init failed:\n${init.stderr}`);
  }
  const child = spawnArbiter(["serve", "--demo", "--port", "0", "--log-level", "warn", "--data", data], env);
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  // The greeting (demo credentials) follows the "serving" line in writes of its own: wait for both.
  // Up to a minute: several workers starting on a loaded two-core machine can take more than 20 s.
  for (let i = 0; i < 1200 && !/mcp-gateway \(enforcement point: pep\): arb_/.test(out) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
  const url = /serving (http:\S+)/.exec(out)?.[1];
  if (url === undefined) throw new Error(`arbiter serve --demo did not start:\n${out}${err}`);
  const keys = (JSON.parse(readFileSync(join(data, "demo-credentials.json"), "utf8")) as { api_keys: Record<string, string> }).api_keys;
  return { child, url, keys, printed: () => out + err, exited };
}

/** A fresh temporary directory, removed after the test file. */
export function tempDir(prefix = "arbiter-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
