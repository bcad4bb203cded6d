// npm run bench:stream — what streaming costs the ledger and how fast a sink catches up, in one run:
// durable appends/s with streaming off (the baseline) and on (NATS JetStream + an OTLP collector,
// both followed while appending), alternating rounds; then the catch-up rate of a backlog per sink.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { initLedgerDir } from "../src/ledger/index.js";
import { openRuntime, type Runtime } from "../src/runtime/index.js";
import type { StreamingOptions } from "../src/stream/index.js";
import { freePort } from "./load.js";
import { fmt, machineLine } from "./machine.js";
import { decisionLike } from "./records.js";

const ROUND = Number(process.env.BENCH_STREAM_ROUND ?? 20_000);
const ROUNDS = 3;
const BACKLOG = Number(process.env.BENCH_STREAM_BACKLOG ?? 50_000);
const WINDOW = 512;

async function appendMany(runtime: Runtime, count: number): Promise<number> {
  const started = process.hrtime.bigint();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    inFlight.push(runtime.ledger.append(decisionLike(i)));
    if (inFlight.length >= WINDOW) await Promise.all(inFlight.splice(0));
  }
  await Promise.all(inFlight);
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

/** An OTLP/HTTP receiver that accepts everything and counts log records. */
async function startReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/logs`, server };
}

async function startNats(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn("nats-server", ["-js", "-sd", dir, "-a", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { url: `nats://127.0.0.1:${port}`, child };
}

function streaming(nats: string | undefined, otlp: string | undefined, stream: string): StreamingOptions {
  return {
    ...(nats !== undefined ? { nats: { servers: nats, subjectPrefix: `bench.${stream}`, stream, ackTimeoutMs: 5000 } } : {}),
    ...(otlp !== undefined ? { otlp: { endpoint: otlp, headers: {}, timeoutMs: 5000 } } : {}),
    maxBacklog: 1000,
    pollMs: 250,
    maxRetryMs: 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

async function caughtUp(runtime: Runtime, sink: string): Promise<void> {
  const last = runtime.ledger.size() - 1;
  while ((runtime.streams?.status().find((s) => s.sink === sink)?.lastPublishedIndex ?? -1) < last) await new Promise((resolve) => setTimeout(resolve, 5));
}

async function main(): Promise<void> {
  console.log(`bench:stream | ${machineLine()}`);
  const work = mkdtempSync(join(tmpdir(), "arbiter-bench-stream-"));
  const nats = await startNats(join(work, "jetstream"));
  const receiver = await startReceiver();
  try {
    const modes = { off: [false, false], nats: [true, false], otlp: [false, true], both: [true, true] } as const;
    const rates: Record<keyof typeof modes, number[]> = { off: [], nats: [], otlp: [], both: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, [toNats, toOtlp]] of Object.entries(modes) as [keyof typeof modes, readonly [boolean, boolean]][]) {
        const dir = join(work, `append-${mode}-${round}`);
        initLedgerDir(dir, { origin: `bench.arbiter.example/${mode}` });
        const on = toNats || toOtlp;
        const runtime = openRuntime(dir, { checkpointIntervalMs: 1000, ...(on ? { streaming: streaming(toNats ? nats.url : undefined, toOtlp ? receiver.url : undefined, `APPEND_${mode}_${round}`) } : {}) });
        rates[mode].push(await appendMany(runtime, ROUND));
        await Promise.all([toNats ? caughtUp(runtime, "nats") : undefined, toOtlp ? caughtUp(runtime, "otlp") : undefined]);
        await runtime.close();
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const off = median(rates.off);
    console.log(`\ndurable appends/s while the sinks follow, ${WINDOW} in flight, ${ROUND} records per round, ${ROUNDS} rounds alternating (median; the sinks run on this machine too)`);
    const label: Record<keyof typeof modes, string> = { off: "streaming off (baseline)", nats: "NATS JetStream followed", otlp: "OTLP collector followed", both: "NATS + OTLP followed" };
    for (const mode of Object.keys(modes) as (keyof typeof modes)[]) {
      const rate = median(rates[mode]);
      console.log(`  ${label[mode].padEnd(26)} ${fmt(rate, 0).padStart(7)}/s  ${mode === "off" ? "       " : `${fmt(rate / off, 2)}x`}   rounds: ${rates[mode].map((r) => fmt(r, 0)).join(", ")}`);
    }

    console.log(`\ncatch-up of a ${BACKLOG}-entry backlog (sink started after the appends), entries/s`);
    const dir = join(work, "backlog");
    initLedgerDir(dir, { origin: "bench.arbiter.example/backlog" });
    const filler = openRuntime(dir, { checkpointIntervalMs: 1000 });
    await appendMany(filler, BACKLOG);
    await filler.close();
    for (const sink of ["nats", "otlp"] as const) {
      const started = process.hrtime.bigint();
      const runtime = openRuntime(dir, { checkpointIntervalMs: 0, streaming: streaming(sink === "nats" ? nats.url : undefined, sink === "otlp" ? receiver.url : undefined, "BACKLOG") });
      await caughtUp(runtime, sink);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await runtime.close();
      console.log(`  ${sink}: ${fmt(BACKLOG / seconds, 0)}/s (${fmt(seconds, 2)} s)`);
    }
  } finally {
    nats.child.kill("SIGTERM");
    receiver.server.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
