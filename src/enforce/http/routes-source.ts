// The routes file as the running PEP sees it: re-read when it changes, the last good table kept when a change is bad.
import { readFileSync, statSync } from "node:fs";
import { ArbiterError } from "../../record/index.js";
import { compileRoutes, type RouteTable } from "./routes-file.js";

/** How often the file's mtime and size are looked at (a stat, not a read). */
export const DEFAULT_RELOAD_MS = 2000;

export interface RoutesStatus {
  path: string;
  /** The table in force; an empty one (everything NO_ROUTE) when the file never loaded. */
  version: string | null;
  routes: number;
  loaded_at: string | null;
  /** Why the file on disk is not in force, when it is not. */
  error: string | null;
}

export interface RoutesChange {
  path: string;
  ok: boolean;
  version: string | null;
  routes: number;
  error?: string;
}

export interface RoutesSourceOptions {
  reloadMs?: number;
  /** Told of every load and every refused change (a record and a log line in `serve`). */
  onChange?: (change: RoutesChange) => void;
  now?: () => number;
}

const EMPTY: RouteTable = { version: "none", routes: [], unmatched: [], callers: { jwt: [], spiffe: [] }, upstreams: [] };

export class RoutesSource {
  private table: RouteTable = EMPTY;
  private loadedAt: number | null = null;
  private error: string | null = null;
  private stamp = "";
  private checkedAt = Number.NEGATIVE_INFINITY;
  private readonly reloadMs: number;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly options: RoutesSourceOptions = {},
  ) {
    this.reloadMs = options.reloadMs ?? DEFAULT_RELOAD_MS;
    this.now = options.now ?? Date.now;
  }

  /** The table in force, re-read first if the file changed since the last look (at most every reloadMs). */
  current(): RouteTable {
    const now = this.now();
    if (now - this.checkedAt >= this.reloadMs) {
      this.checkedAt = now;
      this.refresh();
    }
    return this.table;
  }

  status(): RoutesStatus {
    this.current();
    return {
      path: this.path,
      version: this.loadedAt === null ? null : this.table.version,
      routes: this.table.routes.length,
      loaded_at: this.loadedAt === null ? null : new Date(this.loadedAt).toISOString(),
      error: this.error,
    };
  }

  private refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.path);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      stamp = `missing:${code}`;
      if (this.stamp === stamp) return;
      // No file is no HTTP enforcement configured (every check is NO_ROUTE), not a broken one; a file that vanished keeps its routes.
      if (code === "ENOENT" && this.loadedAt === null) {
        this.stamp = stamp;
        return;
      }
      this.refuse(stamp, `${this.path} cannot be read: ${code}`);
      return;
    }
    if (stamp === this.stamp) return;
    let table: RouteTable;
    try {
      table = compileRoutes(readFileSync(this.path, "utf8"), this.path);
    } catch (err) {
      this.refuse(stamp, err instanceof ArbiterError ? err.message : `${this.path}: ${String(err)}`);
      return;
    }
    this.stamp = stamp;
    this.table = table;
    this.loadedAt = this.now();
    this.error = null;
    this.options.onChange?.({ path: this.path, ok: true, version: table.version, routes: table.routes.length });
  }

  /** Keeps the table in force and remembers why the file was not taken, once per version of the file. */
  private refuse(stamp: string, error: string): void {
    this.stamp = stamp;
    this.error = error;
    this.options.onChange?.({ path: this.path, ok: false, version: this.loadedAt === null ? null : this.table.version, routes: this.table.routes.length, error });
  }
}
