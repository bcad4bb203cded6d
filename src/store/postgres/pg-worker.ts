// The worker thread behind PgConnection: it owns the PostgreSQL clients (pg, asynchronous) and answers
// the main thread's synchronous calls (sync-call.ts). Errors travel back as data, never thrown, so
// that their SQLSTATE survives the crossing.
import pg from "pg";
import { parentPort, workerData } from "node:worker_threads";
import type { PgRequest, PgResponse, PgStatement } from "./protocol.js";
import type { PgWorkerData } from "./sync-call.js";

// BIGINT columns hold ledger indexes, counts and milliseconds, all below 2^53: numbers, not strings.
pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));

const clients = new Map<number, pg.Client>();
let nextId = 1;

/** A Buffer crosses the thread boundary as a plain Uint8Array; pg sends only a Buffer as bytea. */
function asParameters(values: readonly unknown[] | undefined): unknown[] {
  return (values ?? []).map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}

function clientOf(id: number): pg.Client {
  const client = clients.get(id);
  if (!client) throw Object.assign(new Error(`PostgreSQL connection ${id} is closed`), { code: "08003" });
  return client;
}

async function run(client: pg.Client, statement: PgStatement): Promise<unknown[]> {
  const result = await client.query({ text: statement.text, values: asParameters(statement.values) });
  return result.rows as unknown[];
}

async function handle(request: PgRequest): Promise<PgResponse> {
  try {
    switch (request.op) {
      case "open": {
        const client = new pg.Client({ connectionString: request.url, application_name: "arbiter" });
        // A server that goes away between calls must not crash the worker; the next call fails instead.
        client.on("error", () => undefined);
        await client.connect();
        const id = nextId++;
        clients.set(id, client);
        try {
          if (request.createSchema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(request.schema)}`);
          await client.query(`SET search_path TO ${quoteIdent(request.schema)}`);
        } catch (err) {
          clients.delete(id);
          await client.end().catch(() => undefined);
          throw err;
        }
        return { ok: true, id };
      }
      case "batch": {
        const client = clientOf(request.id);
        const results: unknown[][] = [];
        for (const statement of request.statements) results.push(await run(client, statement));
        return { ok: true, results };
      }
      case "close": {
        const client = clients.get(request.id);
        clients.delete(request.id);
        await client?.end().catch(() => undefined);
        return { ok: true };
      }
    }
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; detail?: unknown; constraint?: unknown };
    return {
      ok: false,
      // An error without a SQLSTATE came from the client, not the server: its connection failed (08006).
      code: typeof e.code === "string" ? e.code : "08006",
      message: typeof e.message === "string" ? e.message : String(err),
      ...(typeof e.constraint === "string" ? { constraint: e.constraint } : {}),
    };
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

const { flag, answers } = workerData as PgWorkerData;

// One request at a time: the calling thread waits for each answer before it sends the next.
parentPort?.on("message", (request: PgRequest) => {
  void handle(request).then((response) => {
    answers.postMessage(response);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
