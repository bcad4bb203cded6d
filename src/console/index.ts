// The built console (Vite's output), read once for the server to serve: its files by URL path, or why it is missing.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";

export interface ConsoleFile {
  contentType: string;
  body: Buffer;
  /** Vite names assets by their content hash, so they may be cached for good; index.html may not. */
  immutable: boolean;
}

export type ConsoleAssets = { ok: true; files: ReadonlyMap<string, ConsoleFile> } | { ok: false; reason: string };

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
};

// Both src/console/index.ts (tests) and dist/console/index.js (the built server) sit two levels below the package.
export const BUILT_CONSOLE_DIR = decodeURIComponent(new URL("../../dist/console-app/", import.meta.url).pathname);

/** Bounds what is read into memory: the console is a few hundred kilobytes. */
const MAX_FILES = 200;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

/** Reads the built console from dir; a missing or unbuilt directory is a reason, never a throw. */
export function loadConsoleAssets(dir: string = BUILT_CONSOLE_DIR): ConsoleAssets {
  try {
    if (!statSync(dir).isDirectory()) return { ok: false, reason: `${dir} is not a directory` };
  } catch {
    return { ok: false, reason: "the console has not been built" };
  }
  const files = new Map<string, ConsoleFile>();
  for (const path of filesUnder(dir).slice(0, MAX_FILES)) {
    const contentType = CONTENT_TYPES[extname(path)];
    if (contentType === undefined) continue;
    const urlPath = `/${relative(dir, path).split(sep).join("/")}`;
    files.set(urlPath, { contentType, body: readFileSync(path), immutable: urlPath.startsWith("/assets/") });
  }
  if (!files.has("/index.html")) return { ok: false, reason: "the console has not been built (no index.html)" };
  return { ok: true, files };
}
