// `arbiter serve --workers N`: the primary forks N deciding processes that share the listening ports
// (Node.js cluster), restarts one that dies, and does the data directory's background work once.
import cluster, { type Worker } from "node:cluster";
import { ArbiterError, ERROR_CODES, human, type ErrorCode } from "../../record/index.js";
import type { LoadedSettings } from "../../runtime/settings/index.js";
import { startLines, type Serving } from "./serve-process.js";

/** What a deciding process tells the primary. */
export type WorkerMessage =
  | { kind: "listening"; serving: Pick<Serving, "address" | "origin" | "extAuthzPort" | "proxyPort"> }
  | { kind: "failed"; code: string; message: string };

/** What the primary tells a deciding process. */
export type PrimaryMessage = { kind: "halt"; message: string };

/** A process that dies sooner than this after its start is restarted after a pause, so a crash loop does not spin. */
const QUICK_DEATH_MS = 2_000;
const RESTART_PAUSE_MS = 1_000;
/** How long a deciding process may take to close (its queued records written) before it is killed. */
const STOP_GRACE_MS = 30_000;

function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === "object" && value !== null && ((value as { kind?: unknown }).kind === "listening" || (value as { kind?: unknown }).kind === "failed");
}

export async function runPrimary(dir: string, loaded: LoadedSettings, workers: number, greeting: (url: string) => string[]): Promise<void> {
  const { openRuntime, streamingOptions } = await import("../../runtime/index.js");
  const { ledger, stream } = loaded.settings;
  let halted: string | undefined;
  const live = new Map<number, Worker>();
  const broadcast = (message: PrimaryMessage): void => {
    for (const worker of live.values()) worker.send(message);
  };
  // The work done once for the data directory, not once per process: the background verify (a problem
  // found halts every deciding process), checkpoints signed on the interval, streaming out.
  const streaming = streamingOptions(stream, (line) => process.stderr.write(human`arbiter ${line}\n`));
  const runtime = openRuntime(dir, {
    checkpointIntervalMs: ledger.checkpoint_interval,
    watch: {
      intervalMs: ledger.verify_interval,
      fullIntervalMs: ledger.full_verify_interval,
      onProblem: (message) => {
        halted ??= message;
        broadcast({ kind: "halt", message });
      },
    },
    ...(streaming ? { streaming } : {}),
  });
  let stopping = false;
  let started = false;
  let settle: { resolve: (serving: WorkerMessage & { kind: "listening" }) => void; reject: (err: Error) => void } | undefined;
  const ready = new Set<number>();

  // The workers accept connections on the shared sockets themselves (SCHED_NONE), not through the
  // primary (Node's default round robin): a connection the primary hands to a worker that has just
  // died is never closed, so its client waits forever. With shared sockets the kernel resets a dead
  // worker's connections at once, the others accept what is queued, and no connection waits on the
  // primary's background work. NODE_CLUSTER_SCHED_POLICY=rr, Node's own switch, still chooses the other.
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE;
  const fork = (slot: number): void => {
    const worker = cluster.fork({ ARBITER_WORKER_SLOT: String(slot) });
    const bornAt = Date.now();
    live.set(slot, worker);
    if (halted !== undefined) worker.send({ kind: "halt", message: halted } satisfies PrimaryMessage);
    worker.on("message", (message: unknown) => {
      if (!isWorkerMessage(message)) return;
      if (message.kind === "failed") {
        settle?.reject(new ArbiterError(message.code in ERROR_CODES ? (message.code as ErrorCode) : "USAGE", message.message));
        return;
      }
      ready.add(slot);
      if (!started && ready.size === workers) settle?.resolve(message);
    });
    worker.once("exit", (code, signal) => {
      if (live.get(slot) === worker) live.delete(slot);
      if (stopping) return;
      if (!started) {
        settle?.reject(new ArbiterError("USAGE", `a deciding process exited while starting (${signal ?? `code ${code}`})`));
        return;
      }
      process.stderr.write(human`arbiter: deciding process ${worker.process.pid ?? 0} exited (${signal ?? `code ${code}`}); starting another\n`);
      setTimeout(() => fork(slot), Date.now() - bornAt < QUICK_DEATH_MS ? RESTART_PAUSE_MS : 0);
    });
  };

  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      [...live.values()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            const kill = setTimeout(() => worker.process.kill("SIGKILL"), STOP_GRACE_MS);
            worker.once("exit", () => {
              clearTimeout(kill);
              resolve();
            });
            worker.process.kill("SIGTERM");
          }),
      ),
    );
  };
  let closing: Promise<void> | undefined;
  // The deciding processes first, so every record they queued is written; the primary's runtime last signs the final checkpoint.
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      await stopWorkers();
      await runtime.close();
    })());

  let first: WorkerMessage & { kind: "listening" };
  try {
    first = await new Promise((resolve, reject) => {
      settle = { resolve, reject };
      for (let slot = 0; slot < workers; slot++) fork(slot);
    });
  } catch (err) {
    await shutdown();
    throw err;
  }
  started = true;
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
  for (const line of startLines(first.serving, dir, loaded, workers)) process.stdout.write(`${line}\n`);
  for (const line of greeting(first.serving.address)) process.stdout.write(human`${line}\n`);
}

/** In a deciding process: report to the primary, obey its halt, and close when told to stop or when the primary is gone. */
export function superviseWorker(serving: Serving): void {
  const stop = (): void => {
    void serving.shutdown().finally(() => process.exit(0));
  };
  process.on("message", (message: unknown) => {
    if (typeof message === "object" && message !== null && (message as PrimaryMessage).kind === "halt") serving.halt((message as PrimaryMessage).message);
  });
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // The primary died without stopping us: nobody restarts, verifies or signs any more.
  process.once("disconnect", stop);
  const { address, origin, extAuthzPort, proxyPort } = serving;
  process.send?.({ kind: "listening", serving: { address, origin, ...(extAuthzPort !== undefined ? { extAuthzPort } : {}), ...(proxyPort !== undefined ? { proxyPort } : {}) } } satisfies WorkerMessage);
}

/** A deciding process that could not start tells the primary why (the primary says it once and stops). */
export function reportWorkerFailure(err: unknown): void {
  const code = err instanceof ArbiterError ? err.code : "USAGE";
  process.send?.({ kind: "failed", code, message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
}
