// Path arguments as the upstream will resolve them, so that a rule on a path cannot be walked around with `..`, a trailing slash or case.
import { posix } from "node:path";
import { ArbiterError } from "../record/index.js";
import type { CedarValue } from "./request.js";

/**
 * Lexical normal form of a POSIX path: `.` and `..` segments resolved and repeated slashes folded
 * (path.posix.normalize), then trailing slashes removed ("/" stays "/"). Symbolic links are not
 * followed: only the upstream can see its own file system (docs/mcp.md).
 */
export function normalPath(raw: string): string {
  const normal = posix.normalize(raw);
  const trimmed = normal.replace(/\/+$/, "");
  return trimmed === "" ? (normal.startsWith("/") ? "/" : ".") : trimmed;
}

/**
 * `context.paths`: for each top-level string argument, its normal form and that form lower-cased.
 * `normal` is for permits (a case-sensitive file system tells `/Workspace` from `/workspace`);
 * `lower` is for forbids (a case-insensitive one opens `.ENV` as `.env`). A NUL byte ends a path
 * in every system call, so an argument holding one could mean another file than policy saw: it is
 * refused outright.
 */
export function argPaths(args: Readonly<Record<string, unknown>>): { [key: string]: CedarValue } {
  const out: { [key: string]: CedarValue } = {};
  for (const [key, value] of Object.entries(args)) {
    if (typeof value !== "string") continue;
    if (value.includes("\u0000")) {
      throw new ArbiterError("REQUEST_INVALID", `args.${key}: contains a NUL byte, which no path or name may hold; the call is refused`, { field: `args.${key}` });
    }
    const normal = normalPath(value);
    out[key] = { normal, lower: normal.toLowerCase() };
  }
  return out;
}
