// Policy directories for tests: the minimal fixture copied to a temporary directory, one file changed at a time.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "../support/cli.js";

export const MINIMAL = join(import.meta.dirname, "..", "fixtures", "policy", "minimal");
export const EXAMPLES = join(import.meta.dirname, "..", "..", "examples", "policies");

let counter = 0;

/**
 * A copy of `base` with files replaced (a string), edited (a function of the old text) or
 * removed (null). Paths are relative to the directory.
 */
export function policyDir(changes: Record<string, string | ((old: string) => string) | null> = {}, base = MINIMAL): string {
  const dir = join(tempDir("arbiter-policy-"), `set-${++counter}`);
  cpSync(base, dir, { recursive: true });
  for (const [file, change] of Object.entries(changes)) {
    const path = join(dir, file);
    if (change === null) {
      rmSync(path);
      continue;
    }
    mkdirSync(dirname(path), { recursive: true });
    const text = typeof change === "string" ? change : change(readFileSync(path, "utf8"));
    writeFileSync(path, text);
  }
  return dir;
}
