// npm run bench:proxy — HTTP enforcement side by side in one run, on the same varied requests (64 callers,
// three routes, 100,000 different paths): POST /v1/decisions alone; nginx + forward-auth (the shipped
// auth_request snippet) in front of a real upstream; Arbiter's own reverse proxy (serve --proxy-port) to
// the same upstream; nginx with no check to the same upstream, the floor. Same connections for each.
// Every answer is checked and the upstream counts what reaches it: a run with more than 1% refusals or
// errors, or a forward count that does not match the allowed answers, fails the bench with exit code 1.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BenchFailure, measure, type LoadRequest, type LoadResult } from "./load.js";
import { fmt, machineLine } from "./machine.js";
import { CALLERS, seed, startArbiter, startNginx, startUpstream, stopAll, type Keys, type Upstream } from "./proxy-setup.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/**
 * Rounds through every setup, the order reversed every other round. This kind of machine (a VM on a
 * shared host) speeds up and slows down by 30% or more within minutes, so a ratio between two setups
 * measured a minute apart is mostly that drift; a ratio within each round, and their median, is not.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/**
 * Which setups run, by their number in the table (1 to 5, comma-separated; all by default), for quick
 * iteration: BENCH_ROWS=1,3 compares the reverse proxy with POST /v1/decisions alone. Row 1 is the
 * baseline the ratios are taken against, so leave it in.
 */
const ROWS = (process.env.BENCH_ROWS ?? "").split(",").map((r) => Number(r.trim())).filter((r) => Number.isInteger(r) && r > 0);
const WARMUP_SECONDS = 2;
/** A first pass through every setup, not measured. */
const PASS_SECONDS = 3;
const CONNECTIONS = 16;
/** More different paths than Arbiter's answer cache keeps, so that Cedar evaluates every request. */
const DISTINCT = 100_000;
const REGIONS = ["eu", "us", "apac"];
const TIERS = ["standard", "gold"];

/** The n-th API request: a caller, a route and a path, the same sequence for every setup. */
interface ApiCall {
  path: string;
  /** The caller's credential header (Authorization: Bearer, or the routes file's x-api-key). */
  credential: Record<string, string>;
  key: string;
  /** What the routes file maps it to: the body of the equivalent POST /v1/decisions. */
  decision: Record<string, unknown>;
}

function apiCall(keys: Keys, n: number): ApiCall {
  const caller = n % CALLERS;
  const key = keys.callers[caller] as string;
  const credential: Record<string, string> = caller % 4 < 2 ? { authorization: `Bearer ${key}` } : { "x-api-key": key };
  const id = String(Math.floor(n / 3) % DISTINCT);
  switch (n % 3) {
    case 0: {
      const region = REGIONS[n % REGIONS.length] as string;
      return { path: `/orders/${id}?region=${region}`, credential, key, decision: { action: "read_order", resource: { type: "Order", id, attributes: { region } }, args: { params: { id } } } };
    }
    case 1: {
      const tier = TIERS[n % TIERS.length] as string;
      return { path: `/customers/c-${id}?tier=${tier}`, credential, key, decision: { action: "read_customer", resource: { type: "Customer", id: `c-${id}`, attributes: { tier, sensitivity: "confidential" } }, args: { params: { id: `c-${id}` } } } };
    }
    default: {
      const q = `term-${id}`;
      return { path: `/catalog/search?q=${q}`, credential, key, decision: { action: "search_catalog", resource: { type: "Endpoint", id: "catalog/search", attributes: { service: "catalog" } }, args: { query: { q } } } };
    }
  }
}

interface Setup {
  name: string;
  url: string;
  request: (n: number) => LoadRequest;
  expect?: (body: string) => boolean;
  /** Whether allowed requests reach the upstream, and whether each carries a decision id. */
  forwards: "none" | "decided" | "plain";
  /** Processes whose CPU time is shown per request: Arbiter's and nginx's, where they take part. */
  watch: { arbiter?: number; nginx?: number };
}

interface Row {
  setup: Setup;
  load: LoadResult;
  received: number;
}

/**
 * The upstream's counts once nothing more arrives: a server still working through requests whose
 * client has gone (the end of a run) forwards them a little later, and they belong to that run.
 */
async function settled(upstream: Upstream): Promise<{ received: number; decided: number }> {
  let last = await upstream.count();
  for (let i = 0; i < 60; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await upstream.count();
    if (now.received === last.received) return now;
    last = now;
  }
  return last;
}

async function runSetup(setup: Setup, upstream: Upstream, seconds: number, warmupSeconds: number): Promise<Row> {
  const before = await settled(upstream);
  const load = await measure({ title: setup.name, url: setup.url, connections: CONNECTIONS, seconds, warmupSeconds, request: setup.request, watch: { ...setup.watch, upstream: upstream.pid }, ...(setup.expect ? { expect: setup.expect } : {}) });
  const after = await settled(upstream);
  const received = after.received - before.received;
  const decided = after.decided - before.decided;
  const { ok, non2xx, unexpected } = load.total;
  // Each run (warm-up, measured) ends with requests in flight, which may have been forwarded without their answer counted.
  const slack = 4 * CONNECTIONS;
  const problem =
    setup.forwards === "none"
      ? received !== 0 && `the upstream received ${received} requests`
      : received < ok
        ? `only ${received} requests reached the upstream for ${ok} allowed answers`
        : received > ok + non2xx + unexpected + slack
          ? `the upstream received ${received} requests for ${ok} allowed answers (${non2xx} refused)`
          : setup.forwards === "decided" && decided !== received
            ? `${received - decided} of the ${received} requests that reached the upstream carried no decision id`
            : setup.forwards === "plain" && decided !== 0 && `${decided} requests reached the upstream with a decision id`;
  if (problem) throw new BenchFailure(`${setup.name}: ${problem}`);
  return { setup, load, received };
}

function printHeader(): void {
  console.log(`\n   ${"setup".padEnd(46)} ${"req/s".padStart(7)} ${"p50 ms".padStart(7)} ${"p99 ms".padStart(7)}  non-2xx  reached upstream / allowed  CPU µs/request: Arbiter / nginx / upstream`);
}

function print({ setup, load, received }: Row): void {
  const { result, measured, cpu } = load;
  const answers = Math.max(1, measured.ok + measured.non2xx + measured.unexpected);
  const share = ["arbiter", "nginx", "upstream"].map((name) => (cpu[name] === undefined ? "-" : fmt((cpu[name] / answers) * 1e6, 0)));
  const reached = setup.forwards === "none" ? "-" : `${received.toLocaleString("en-US")} / ${load.total.ok.toLocaleString("en-US")}`;
  console.log(`   ${setup.name.padEnd(46)} ${fmt(result.requests.average, 0).padStart(7)} ${fmt(result.latency.p50).padStart(7)} ${fmt(result.latency.p99).padStart(7)}  ${String(result.non2xx).padStart(7)}  ${reached.padStart(26)}  ${share.join(" / ")}`);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Each setup against the first (POST /v1/decisions alone) of the same round; the verdict is on the median of the rounds. */
function targets(rounds: readonly Row[][]): void {
  const [first] = rounds;
  if (!first || first.length < 2) return;
  console.log(`\n   against ${first[0]?.setup.name} of the same round (ratio per round; the targets are read on the median):`);
  for (let i = 1; i < first.length; i++) {
    const setup = (first[i] as Row).setup;
    const ratios = rounds.map((rows) => {
      const base = (rows[0] as Row).load.result;
      const r = (rows[i] as Row).load.result;
      return { throughput: r.requests.average / base.requests.average, p99: r.latency.p99 / base.latency.p99 };
    });
    const throughput = median(ratios.map((r) => r.throughput));
    const p99 = median(ratios.map((r) => r.p99));
    const each = `throughput ${ratios.map((r) => fmt(r.throughput, 2)).join(" / ")}x, p99 ${ratios.map((r) => fmt(r.p99, 2)).join(" / ")}x`;
    const target = setup.forwards === "decided" && setup.name !== NO_KEEPALIVE ? `; targets >= 0.90x: ${throughput >= 0.9 ? "met" : "MISSED"}, p99 <= 1.5x: ${p99 <= 1.5 ? "met" : "MISSED"}` : "";
    console.log(`   ${setup.name.padEnd(46)} ${each}; median ${fmt(throughput, 2)}x, p99 ${fmt(p99, 2)}x${target}`);
  }
}

const NO_KEEPALIVE = "nginx + forward-auth, no keepalive to Arbiter";

async function main(): Promise<void> {
  console.log(`bench:proxy | ${machineLine()}`);
  console.log(`${CALLERS} callers, 3 routes, ${DISTINCT.toLocaleString("en-US")} different paths per route; ${CONNECTIONS} connections, ${SECONDS} s after a ${WARMUP_SECONDS} s warm-up each, ${ROUNDS} rounds (and a first ${PASS_SECONDS} s pass through every setup), load generator in this process; nginx with one worker`);
  const work = mkdtempSync(join(tmpdir(), "arbiter-bench-proxy-"));
  try {
    const upstream = await startUpstream();
    const { dir, keys } = await seed(work, upstream.url);
    const arbiter = await startArbiter(dir);
    const checked = await startNginx(join(work, "nginx-check"), upstream.port, { arbiter: arbiter.url, pepKey: keys.nginx, keepalive: true });
    const unpooled = await startNginx(join(work, "nginx-check-unpooled"), upstream.port, { arbiter: arbiter.url, pepKey: keys.nginx, keepalive: false });
    const plain = await startNginx(join(work, "nginx-plain"), upstream.port);
    const get = (n: number): LoadRequest => {
      const call = apiCall(keys, n);
      return { method: "GET", path: call.path, headers: call.credential };
    };
    const setups: Setup[] = [
      {
        name: "POST /v1/decisions alone",
        url: arbiter.url,
        request: (n) => {
          const call = apiCall(keys, n);
          return { method: "POST", path: "/v1/decisions", headers: { authorization: `Bearer ${keys.client}`, "content-type": "application/json" }, body: JSON.stringify({ subject: { credential: call.key }, ...call.decision }) };
        },
        expect: (body) => body.includes('"outcome":"allow"'),
        forwards: "none",
        watch: { arbiter: arbiter.pid },
      },
      { name: "nginx + forward-auth", url: checked.url, request: get, forwards: "decided", watch: { arbiter: arbiter.pid, nginx: checked.pid } },
      { name: "Arbiter's reverse proxy (serve --proxy-port)", url: arbiter.proxyUrl, request: get, forwards: "decided", watch: { arbiter: arbiter.pid } },
      { name: "nginx, no check (the floor)", url: plain.url, request: get, forwards: "plain", watch: { nginx: plain.pid } },
      { name: NO_KEEPALIVE, url: unpooled.url, request: get, forwards: "decided", watch: { arbiter: arbiter.pid, nginx: unpooled.pid } },
    ];
    if (ROWS.length > 0) setups.splice(0, setups.length, ...setups.filter((_, i) => ROWS.includes(i + 1)));
    // Every path once before anything is measured, so that no setup pays for the JIT compiling code it shares with another.
    for (const setup of setups) await runSetup(setup, upstream, PASS_SECONDS, 0);
    const rounds: Row[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`\n   round ${round + 1} of ${ROUNDS}`);
      printHeader();
      const order = round % 2 === 0 ? setups : [...setups].reverse();
      const rows = new Map<Setup, Row>();
      for (const setup of order) {
        const row = await runSetup(setup, upstream, SECONDS, WARMUP_SECONDS);
        print(row);
        rows.set(setup, row);
      }
      rounds.push(setups.map((setup) => rows.get(setup) as Row));
    }
    targets(rounds);
    console.log("\n   every allowed request above was decided and its decision record fsync'd to the ledger before it was answered or forwarded");
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(`\nbench:proxy FAILED: ${err instanceof Error ? err.message : String(err)}`);
  if (!(err instanceof BenchFailure) && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 1;
}
