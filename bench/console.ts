// npm run bench:console — the console's first meaningful paint (the first decision row) and the decisions API
// over 100,000 stored decisions, in Debian's Chromium; baseline: the same owner-filtered page without its index.
import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { progressBar } from "../src/cli/progress.js";
import { initLedgerDir } from "../src/ledger/index.js";
import { newRecordId } from "../src/record/index.js";
import { openGateways } from "../src/runtime/gateways.js";
import { openRuntime } from "../src/runtime/index.js";
import { loadSettings } from "../src/runtime/settings/index.js";
import { buildServer } from "../src/server/index.js";
import { launchBrowser } from "../test/support/browser.js";
import { fmt, machineLine, percentile } from "./machine.js";

const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 100_000);
const WINDOW = 4096;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const API_RUNS = 30;
const TARGET_MS = 1000;
const DAY = 24 * 3600 * 1000;
const START = Date.now() - DAY;

const timeOf = (i: number): number => START + Math.floor((i * DAY) / DECISIONS);

function decisionRecord(i: number, id: string): Record<string, unknown> {
  const deny = i % 20 === 0;
  return {
    kind: "decision",
    id,
    time: new Date(timeOf(i)).toISOString(),
    // 100 owners, each 1% of the decisions spread over the ledger; one more owns only the 100 oldest.
    subject: { id: `agent-${i % 1000}`, type: i % 3 === 0 ? "service_account" : "agent", owner: i < 100 ? "owner-rare" : `owner-${i % 100}`, credential: { id: `key_${(i % 1000).toString(16).padStart(16, "0")}`, kind: "api_key" } },
    action: `tool_${i % 50}`,
    resource: { id: `mcp/tool_${i % 50}`, type: "Tool" },
    outcome: deny ? "deny" : "allow",
    control: deny ? "access" : i % 7 === 0 ? "masking" : "access",
    reason_code: deny ? "POLICY_FORBID" : "POLICY_PERMIT",
    note: deny ? "Agents may not call this tool." : "Agents may call project tools.",
    policy: { set_version: "sha256:bench", determining: ["bench-policy"], engine: "arbiter" },
  };
}

async function seed(dir: string): Promise<{ runtime: ReturnType<typeof openRuntime>; key: string; seconds: number }> {
  initLedgerDir(dir, { origin: "bench.arbiter.example/console" });
  const runtime = openRuntime(dir, { checkpointIntervalMs: 0 });
  const seeder = { id: "bench", type: "human" as const };
  await runtime.identities.create({ id: "auditor", type: "human", roles: ["auditor"] }, seeder);
  const { key } = await runtime.identities.issueApiKey("auditor", seeder);
  const progress = progressBar("decisions");
  const started = process.hrtime.bigint();
  let inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    inFlight.push(runtime.ledger.append(decisionRecord(i, newRecordId(timeOf(i)))));
    if (inFlight.length >= WINDOW) {
      await Promise.all(inFlight);
      inFlight = [];
      progress(i + 1, DECISIONS);
    }
  }
  await Promise.all(inFlight);
  progress.stop();
  runtime.ledger.checkpoint();
  return { runtime, key, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function timeApi(url: string, path: string, key: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < API_RUNS; i++) {
    const started = performance.now();
    const answer = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${await answer.text()}`);
    const body = (await answer.json()) as { decisions?: unknown[]; counts?: unknown[] };
    if ((body.decisions ?? body.counts ?? []).length === 0) throw new Error(`${path} found nothing`);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** Records, in the page, when the first decision row is in the DOM (performance.now(): since navigation start). */
const FIRST_ROW_PROBE = `
  window.__firstRow = undefined;
  new MutationObserver((_, observer) => {
    if (document.querySelector("table.decisions tbody tr")) { window.__firstRow = performance.now(); observer.disconnect(); }
  }).observe(document, { childList: true, subtree: true });`;

async function firstPaints(url: string, key: string, profile: string): Promise<number[]> {
  const browser = await launchBrowser(undefined, profile);
  const times: number[] = [];
  try {
    await browser.addInitScript(`sessionStorage.setItem("arbiter.console.credential", ${JSON.stringify(key)});${FIRST_ROW_PROBE}`);
    for (let run = 0; run < RUNS + 1; run++) {
      const page = await browser.newPage();
      await page.goto(`${url}/#/decisions`);
      const at = (await page.waitForFunction(() => (globalThis as { __firstRow?: number }).__firstRow ?? 0, undefined, { timeout: 30_000 })).jsonValue();
      // The first load warms the browser's cache of the hashed assets, as a returning operator's would be.
      if (run > 0) times.push(await at);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return times.sort((a, b) => a - b);
}

const line = (name: string, sorted: number[]): string => `${name.padEnd(46)} median ${fmt(percentile(sorted, 50))} ms   worst ${fmt(sorted.at(-1) ?? Number.NaN)} ms`;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "arbiter-bench-console-"));
  const dir = join(root, "data");
  console.log(`bench:console — ${machineLine()}`);
  const { runtime, key, seconds } = await seed(dir);
  console.log(`seeded ${DECISIONS.toLocaleString("en-US")} decisions in ${fmt(seconds)} s (ledger append, ${WINDOW} in flight)`);
  const gateways = openGateways(runtime, loadSettings({ dir, env: {} }).settings);
  const app = await buildServer(gateways, { logLevel: "silent" });
  const url = await app.listen({ port: 0, host: "127.0.0.1" });
  try {
    const firstPage = await timeApi(url, "/v1/decisions?limit=50", key);
    const owner = await timeApi(url, "/v1/decisions?limit=50&owner=owner-rare", key);
    const stats = await timeApi(url, `/v1/decisions/stats?bucket=hour&from=${encodeURIComponent(new Date(START).toISOString())}`, key);
    // Baseline: the same owner-filtered page with schema 9's index dropped (a scan of the record index).
    const db = new Database(join(dir, "arbiter.db"));
    db.exec("DROP INDEX record_index_subject_owner");
    const ownerUnindexed = await timeApi(url, "/v1/decisions?limit=50&owner=owner-rare", key);
    db.exec("CREATE INDEX record_index_subject_owner ON record_index(subject_owner) WHERE subject_owner IS NOT NULL");
    db.close();
    const paints = await firstPaints(url, key, join(root, "chromium"));

    console.log(line("GET /v1/decisions (first page, 50)", firstPage));
    console.log(line("GET /v1/decisions?owner= (100 oldest, indexed)", owner));
    console.log(line("  baseline: same without the owner index", ownerUnindexed));
    console.log(`  indexed / unindexed: ${fmt(percentile(owner, 50) / percentile(ownerUnindexed, 50), 3)}x`);
    console.log(line("GET /v1/decisions/stats (24 h by hour)", stats));
    console.log(line(`console first meaningful paint (${RUNS} loads)`, paints));
    const median = percentile(paints, 50);
    console.log(`  first paint / API first page: ${fmt(median / percentile(firstPage, 50))}x`);
    console.log(`target: first meaningful paint < ${TARGET_MS} ms on ${DECISIONS.toLocaleString("en-US")} decisions: ${median < TARGET_MS ? "met" : "missed"} (median ${fmt(median)} ms, worst ${fmt(paints.at(-1) ?? Number.NaN)} ms)`);
    if (median >= TARGET_MS) process.exitCode = 1;
  } finally {
    await app.close();
    await gateways.close();
    await runtime.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
