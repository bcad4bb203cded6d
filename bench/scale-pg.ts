// bench:scale on the PostgreSQL store: replicas (copies of one data directory, each its own
// `serve`) sharing one schema, and the append throughput of the PostgreSQL ledger against the
// SQLite one. Every schema the bench makes is named arbiter_bench_<random> and dropped at the end.
import { randomBytes } from "node:crypto";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { initLedgerDir, openLedger } from "../src/ledger/index.js";
import { ArbiterError } from "../src/record/errors.js";
import { PgConnection } from "../src/store/postgres/connection.js";
import { redactUrl } from "../src/store/index.js";
import { BenchFailure, cpuSeconds } from "./load.js";
import { appendMany } from "./records.js";
import { CLI, ORIGIN, decisionLoad, seed, startServer, stopServer, verifyLog, type LoadFigures, type Server } from "./scale-serve.js";

export const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export class PgBench {
  private readonly schemas: string[] = [];
  /** The connections of this bench's servers carry it, so that their backends can be told from others'. */
  private readonly applicationName = `arbiter_bench_${randomBytes(6).toString("hex")}`;

  private constructor(
    readonly url: string,
    private readonly admin: PgConnection,
  ) {}

  /** A bench on the server at `url`, or why there is none (no server answers there). */
  static connect(url: string): PgBench | string {
    try {
      const admin = PgConnection.open({ engine: "postgres", url, schema: "public" });
      admin.query("SELECT 1");
      return new PgBench(url, admin);
    } catch (err) {
      if (err instanceof ArbiterError && err.code === "LEDGER_UNAVAILABLE") return err.message;
      throw err;
    }
  }

  get shownUrl(): string {
    return redactUrl(this.url);
  }

  /** The store URL the bench's data directories record: the server's, with the bench's application name. */
  private storeUrl(): string {
    const url = new URL(this.url);
    url.searchParams.set("application_name", this.applicationName);
    return url.href;
  }

  /** `arbiter init` of `dir` on a schema of its own, as an operator would create a replicated store. */
  initDir(dir: string): void {
    const schema = `arbiter_bench_${randomBytes(6).toString("hex")}`;
    this.schemas.push(schema);
    const init = spawnSync(process.execPath, [CLI, "init", "--data", dir, "--origin", ORIGIN, "--store", this.storeUrl(), "--store-schema", schema], { encoding: "utf8" });
    if (init.status !== 0) throw new BenchFailure(`arbiter init on PostgreSQL failed: ${init.stdout}${init.stderr}`);
  }

  /**
   * CPU seconds used so far by the server backends of this bench's connections, read from /proc;
   * undefined when none is a process of this machine (a remote server).
   */
  backendCpu(): number | undefined {
    const pids = this.admin.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1", [this.applicationName]).map((r) => r.pid);
    const local = pids.filter((pid) => existsSync(`/proc/${pid}/stat`));
    return local.length === 0 ? undefined : local.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  }

  /** Drops every schema the bench made (after its servers have stopped), and disconnects. */
  close(): void {
    try {
      for (const schema of this.schemas.splice(0)) this.admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      this.admin.close();
    }
  }
}

/**
 * `replicas` copies of one seeded data directory on a fresh schema, each served by
 * `serve --workers 1` on its own port, under one load; then `log verify` on every copy.
 */
export async function replicaRun(pg: PgBench, work: string, replicas: number, seconds: number): Promise<LoadFigures> {
  const base = join(work, `pg-${replicas}`);
  pg.initDir(base);
  const pep = await seed(base);
  const dirs = Array.from({ length: replicas }, (_, i) => join(work, `pg-${replicas}-replica-${i + 1}`));
  for (const dir of dirs) cpSync(base, dir, { recursive: true });
  const servers: Server[] = [];
  const title = `${replicas} PostgreSQL replica${replicas === 1 ? "" : "s"}`;
  try {
    for (const dir of dirs) servers.push(await startServer(dir, 1));
    const figures = await decisionLoad(title, servers, pep, seconds, () => pg.backendCpu());
    await Promise.all(servers.map(stopServer));
    for (const dir of dirs) verifyLog(dir, title);
    return figures;
  } finally {
    await Promise.all(servers.map(stopServer));
  }
}

export interface AppendFigures {
  records: number;
  sqlite: number;
  postgres: number;
}

/** Durable appends/s with group commit, `records` records with up to 4,096 in flight, on each store in turn. */
export async function appendThroughput(pg: PgBench, work: string, records: number): Promise<AppendFigures> {
  const rate = async (dir: string): Promise<number> => {
    const { ledger } = openLedger(dir, { checkpointIntervalMs: 1000 });
    try {
      return records / (await appendMany(ledger, records));
    } finally {
      await ledger.close();
    }
  };
  const sqliteDir = join(work, "append-sqlite");
  initLedgerDir(sqliteDir, { origin: ORIGIN });
  const sqlite = await rate(sqliteDir);
  const pgDir = join(work, "append-pg");
  pg.initDir(pgDir);
  const postgres = await rate(pgDir);
  return { records, sqlite, postgres };
}
