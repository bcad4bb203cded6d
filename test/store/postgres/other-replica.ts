// A second replica in a thread of its own: its calls block that thread, not the test's, so it can
// wait on a lock the test's transaction holds, as another process on the same schema would.
import { Worker } from "node:worker_threads";
import type { PgConnection, PostgresLocation } from "../../../src/store/postgres/connection.js";

/** The built modules: a worker thread does not get the test runner's TypeScript loader. */
const BUILT = new URL("../../../dist/store/postgres/", import.meta.url).href;

// A module of its own (a data: URL), not an eval'd script: an eval'd worker defines __dirname as
// ".", which the connection's library then takes for its own folder. It connects, says so, then
// waits on the shared flag rather than for a message: the test sets the flag while its own thread
// is blocked inside a transaction, when no message could reach this thread's event loop in time.
const SCRIPT = `
import { parentPort, workerData } from "node:worker_threads";
const { PgConnection } = await import(workerData.built + "connection.js");
const repositories = await import(workerData.built + workerData.file + ".js");
const conn = PgConnection.open(workerData.location);
const repository = new repositories[workerData.className](conn);
const go = new Int32Array(workerData.go);
parentPort.postMessage("ready");
Atomics.wait(go, 0, 0);
try {
  const result = conn.transaction(() => repository[workerData.method](...workerData.args));
  parentPort.postMessage({ ok: true, result });
} catch (err) {
  parentPort.postMessage({ ok: false, code: err.code, message: err.message });
} finally {
  conn.close();
}
`;

export type ReplicaOutcome = { ok: true; result: unknown } | { ok: false; code: string; message: string };

export interface OtherReplica {
  /** Makes the call, in the replica's own transaction; returns at once. */
  go(): void;
  /** What the call returned or threw. */
  readonly outcome: Promise<ReplicaOutcome>;
}

/**
 * A replica connected to `location` with a new `className` (from src/store/postgres/`file`.ts)
 * that will call `method` with `args` once told to go.
 */
export async function otherReplica(location: PostgresLocation, file: string, className: string, method: string, args: unknown[]): Promise<OtherReplica> {
  const go = new SharedArrayBuffer(4);
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(SCRIPT)}`), { workerData: { built: BUILT, location, file, className, method, args, go } });
  // A case that fails before it says go must not leave the test process waiting on this thread.
  worker.unref();
  let ready: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => (ready = resolve));
  const outcome = new Promise<ReplicaOutcome>((resolve, reject) => {
    worker.on("message", (message: "ready" | ReplicaOutcome) => (message === "ready" ? ready() : resolve(message)));
    worker.once("error", reject);
  }).finally(() => void worker.terminate());
  await Promise.race([connected, outcome]);
  return {
    go: () => {
      const flag = new Int32Array(go);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    },
    outcome,
  };
}

/** Waits (blocking this thread) until a session is waiting for a lock `conn` holds. */
export function waitUntilSomeoneWaitsOn(conn: PgConnection, timeoutMs = 10_000): void {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [row] = conn.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))");
    if ((row?.n ?? 0) > 0) return;
  }
  throw new Error("no other session came to wait on this one's lock");
}
