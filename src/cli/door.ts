// The CLI's door: common options, output, and the one place errors become messages and exit codes.
import type { Command } from "commander";
import { ArbiterError, isArbiterError, type ErrorCode } from "../record/errors.js";
import { escapeControls } from "../record/index.js";
import { resolveDataDir } from "../store/index.js";

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** Verification failed, or some input was rejected. */
  failed: 1,
  /** The command was used incorrectly. */
  usage: 2,
  /** The environment is not usable: data directory, ledger, keys. */
  environment: 3,
} as const;

const EXIT_BY_CODE: Partial<Record<ErrorCode, number>> = {
  USAGE: EXIT.usage,
  INVALID_JSON: EXIT.failed,
  INVALID_RECORD: EXIT.failed,
  RECORD_TOO_LARGE: EXIT.failed,
  NOT_FOUND: EXIT.failed,
  INDEX_OUT_OF_RANGE: EXIT.usage,
  PROOF_INVALID: EXIT.failed,
  NOTE_INVALID: EXIT.failed,
  BUNDLE_INVALID: EXIT.failed,
  LEDGER_CORRUPT: EXIT.failed,
  INCONSISTENT_CHECKPOINT: EXIT.failed,
  DATA_DIR_INVALID: EXIT.environment,
  SETTINGS_INVALID: EXIT.environment,
  LEDGER_UNAVAILABLE: EXIT.environment,
  NO_ACTIVE_POLICY: EXIT.environment,
  REQUEST_INVALID: EXIT.usage,
  POLICY_INVALID: EXIT.failed,
  POLICY_TESTS_FAILED: EXIT.failed,
  UNKNOWN_ACTION: EXIT.usage,
  UNKNOWN_RESOURCE_TYPE: EXIT.usage,
};

export interface DataOption {
  data?: string;
}

export interface JsonOption {
  json?: boolean;
}

export function withData(command: Command): Command {
  return command.option("--data <dir>", "data directory (default: $ARBITER_DATA or ./.arbiter)");
}

export function withJson(command: Command): Command {
  return command.option("--json", "print machine-readable JSON");
}

export function dataDir(options: DataOption): string {
  return resolveDataDir(options.data);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function parseIndex(text: string, what: string): number {
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ArbiterError("USAGE", `${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

const FILE_ERRORS = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR"]);

function isFileError(err: unknown): err is NodeJS.ErrnoException & { path: string; syscall: string } {
  const e = err as NodeJS.ErrnoException;
  return err instanceof Error && typeof e.code === "string" && FILE_ERRORS.has(e.code) && typeof e.path === "string" && typeof e.syscall === "string";
}

/**
 * An error message for a terminal, escaped like every other human output (a message may quote a value
 * from a record or a request). A list of problems joined one per line, as the settings give, keeps its
 * lines, each escaped.
 */
function humanMessage(err: unknown, message: string): string {
  const problems = isArbiterError(err) ? err.details.problems : undefined;
  if (Array.isArray(problems) && problems.every((p) => typeof p === "string") && problems.join("\n  ") === message) {
    return problems.map((p: string) => escapeControls(p)).join("\n  ");
  }
  return escapeControls(message);
}

/** Prints an error the way a person wants to read it (no stack unless ARBITER_DEBUG is set) and sets the exit code. */
export function reportFailure(err: unknown, json = false): void {
  if (isFileError(err)) {
    // A path the user gave that cannot be read or written is a usage problem, not an internal one.
    err = new ArbiterError("USAGE", `cannot ${err.syscall === "open" || err.syscall === "stat" ? "read" : err.syscall} ${err.path}: ${err.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "")}`);
  }
  const code: string = isArbiterError(err) ? err.code : "INTERNAL";
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  } else {
    process.stderr.write(`arbiter: ${humanMessage(err, message)}${isArbiterError(err) ? ` [${code}]` : ""}\n`);
  }
  if (process.env.ARBITER_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = isArbiterError(err) ? (EXIT_BY_CODE[err.code] ?? EXIT.failed) : EXIT.failed;
}

/** Wraps a command action so every failure is reported once, with its exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const options = args.find((a): a is JsonOption => typeof a === "object" && a !== null && "json" in a);
    try {
      await fn(...args);
    } catch (err) {
      reportFailure(err, options?.json === true);
    }
  };
}
