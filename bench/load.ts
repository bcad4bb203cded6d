// HTTP load for the benches: autocannon with every answer tallied, so that a run whose requests are
// refused (a credential or scope the bench lacks, a request shape the server no longer takes) fails
// loudly instead of reporting the speed of its error path.
import autocannon from "autocannon";
import { type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { createServer } from "node:net";

/** At most this fraction of a run's answers may be non-2xx, errors, timeouts or unexpected bodies. */
export const MAX_BAD_FRACTION = 0.01;

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until `url` answers below 500 (the server is up), failing as soon as the child exits. */
export async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not come up`);
}

/** One request of a load: the n-th of the run's sequence. */
export interface LoadRequest {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadSpec {
  title: string;
  /**
   * Base URL (scheme, host, port); each request names its own path. Several (replicas of one
   * service) share the connections round-robin: connection i goes to url[i % url.length].
   */
  url: string | readonly string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  request: (n: number) => LoadRequest;
  /** Whether a 2xx answer's body is the answer expected (an allow, say); every 2xx counts when absent. */
  expect?: (body: string) => boolean;
  /**
   * CPU time read around the measured run, by name: a process id (its CPU time and its descendants',
   * from /proc), or a function giving CPU seconds used so far by processes the bench cannot name
   * by id up front (a database server's backends, say).
   */
  watch?: Readonly<Record<string, number | (() => number)>>;
}

export interface Tally {
  ok: number;
  non2xx: number;
  unexpected: number;
  errors: number;
  /** The first answer that was not as expected: status, a few headers, the start of the body. */
  firstBad?: string;
}

export interface LoadResult {
  result: autocannon.Result;
  /** Answers of the measured run only. */
  measured: Tally;
  /** Answers of the warm-up and the measured run together. */
  total: Tally;
  /** CPU seconds each watched process used during the measured run, by the names of `watch`. */
  cpu: Record<string, number>;
}

export class BenchFailure extends Error {}

function emptyTally(): Tally {
  return { ok: 0, non2xx: 0, unexpected: 0, errors: 0 };
}

const SHOWN_HEADERS = ["x-arbiter-reason", "x-arbiter-note", "www-authenticate", "retry-after"];

async function run(spec: LoadSpec, seconds: number, tally: Tally, next: { n: number }): Promise<autocannon.Result> {
  const onResponse = (status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined): void => {
    const good = status >= 200 && status < 300;
    if (good && (spec.expect === undefined || spec.expect(body))) {
      tally.ok++;
      return;
    }
    if (good) tally.unexpected++;
    else tally.non2xx++;
    if (tally.firstBad === undefined) {
      // autocannon hands the headers over as the server spelled them.
      const shown = Object.entries(headers ?? {})
        .filter(([name]) => SHOWN_HEADERS.includes(name.toLowerCase()))
        .map(([name, value]) => `${name}: ${String(value)}`);
      tally.firstBad = `HTTP ${status}${shown.length ? ` (${shown.join("; ")})` : ""}: ${body.slice(0, 600)}`;
    }
  };
  const result = await autocannon({
    // autocannon takes an array of URLs and deals its connections out over them (lib/url.js,
    // lib/run.js), though its type declarations admit a string only.
    url: (typeof spec.url === "string" ? spec.url : [...spec.url]) as string,
    connections: spec.connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => {
          const r = spec.request(next.n++);
          return { ...request, method: r.method, path: r.path, headers: { ...request.headers, ...r.headers }, ...(r.body !== undefined ? { body: r.body } : {}) };
        },
        onResponse,
      },
    ],
  });
  tally.errors += result.errors + result.timeouts;
  return result;
}

/** The share of a run's answers that were not as expected; a measured run without any answer is all bad. */
function badFraction(t: Tally, isWarmup: boolean): number {
  const all = t.ok + t.non2xx + t.unexpected + t.errors;
  if (all === 0) return isWarmup ? 0 : 1;
  return (t.non2xx + t.unexpected + t.errors) / all;
}

/**
 * A warm-up, then the measured run, on one request sequence (the measured run goes on where the
 * warm-up stopped). Throws BenchFailure when more than MAX_BAD_FRACTION of either run's answers
 * were not as expected, naming the first such answer.
 */
export async function measure(spec: LoadSpec): Promise<LoadResult> {
  const next = { n: 0 };
  const warm = emptyTally();
  if (spec.warmupSeconds > 0) await run(spec, spec.warmupSeconds, warm, next);
  const measured = emptyTally();
  const watched = Object.entries(spec.watch ?? {});
  const used = (what: number | (() => number)): number => (typeof what === "number" ? cpuSeconds(what) : what());
  const before = watched.map(([, what]) => used(what));
  const result = await run(spec, spec.seconds, measured, next);
  const cpu = Object.fromEntries(watched.map(([name, what], i) => [name, used(what) - (before[i] as number)]));
  const total: Tally = {
    ok: warm.ok + measured.ok,
    non2xx: warm.non2xx + measured.non2xx,
    unexpected: warm.unexpected + measured.unexpected,
    errors: warm.errors + measured.errors,
    ...(warm.firstBad !== undefined || measured.firstBad !== undefined ? { firstBad: warm.firstBad ?? measured.firstBad } : {}),
  };
  for (const [name, t] of [["warm-up", warm], ["measured run", measured]] as const) {
    // A cold server may answer nothing during a short warm-up on a loaded machine: that is no failure.
    if (badFraction(t, name === "warm-up") > MAX_BAD_FRACTION) {
      throw new BenchFailure(
        `${spec.title}: ${name}: ${t.non2xx} non-2xx, ${t.unexpected} unexpected 2xx answers and ${t.errors} errors or timeouts out of ${t.ok + t.non2xx + t.unexpected + t.errors} ` +
          `(more than ${MAX_BAD_FRACTION * 100}%), so its figures would measure refusals, not the path under test. First: ${t.firstBad ?? "(no answer at all)"}`,
      );
    }
  }
  return { result, measured, total, cpu };
}

/** CPU seconds (user + system) a process and its descendants have used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      // Fields after the command name (which may hold spaces), counted from the state field (3rd);
      // utime and stime are in USER_HZ ticks, 100 a second on Linux.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/).filter(Boolean)) visit(Number(child));
    } catch {
      // gone meanwhile, or no /proc: counts nothing
    }
  };
  visit(pid);
  return ticks / 100;
}
