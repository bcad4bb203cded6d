// Builds dist/ when it is missing or older than src/, so end-to-end tests never run a stale CLI; names
// the run, whose PostgreSQL schemas (support/postgres.ts) are dropped when it ends.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { dropRunSchemas } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's name, in the name of every PostgreSQL schema its tests make. */
    pgRun: string;
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function buildIfStale(): void {
  const root = join(import.meta.dirname, "..", "..");
  const built = join(root, "dist", "cli", "main.js");
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(root, "src"))) return;
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.json")], {
    stdio: "inherit",
  });
}

export default function setup(project: TestProject): () => void {
  buildIfStale();
  const run = randomBytes(4).toString("hex");
  project.provide("pgRun", run);
  return () => dropRunSchemas(run);
}
