// A synchronous PostgreSQL connection. The store contracts are synchronous (store/contracts/store.ts:
// no promise per decision, no interleaving between a read and the write it decides), and no
// maintained PostgreSQL driver for Node.js is: pg (asynchronous) runs in a worker thread, and each
// call blocks this thread until the worker answers (sync-call.ts: Atomics.wait on a shared flag).
// One call is one round trip to the worker, so a caller batches statements where it can.
import { ArbiterError } from "../../record/errors.js";
import { redactUrl, scrubPassword } from "./location.js";
import type { PgRequest, PgResponse, PgStatement } from "./protocol.js";
import { callPgWorker } from "./sync-call.js";

export type { PgStatement } from "./protocol.js";

/** Where a PostgreSQL store lives: a server (libpq connection URL) and the schema holding its tables. */
export interface PostgresLocation {
  engine: "postgres";
  url: string;
  schema: string;
}

/** A statement PostgreSQL refused; `code` is its SQLSTATE (postgresql.org/docs/current/errcodes-appendix.html). */
export class PgError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly constraint?: string,
  ) {
    super(message);
    this.name = "PgError";
  }
}

/** A UNIQUE or PRIMARY KEY constraint refused a row. */
export function isUniqueViolation(err: unknown): err is PgError {
  return err instanceof PgError && err.code === "23505";
}

/**
 * SQLSTATE classes that say the server could not be reached or could not write, not that the
 * statement was wrong: connection (08), resources such as a full disk (53), operator intervention
 * (57), system errors (58). Arbiter refuses the action (LEDGER_UNAVAILABLE) rather than crash.
 */
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57", "58"]);
/** lock_timeout ended a wait for a lock (SESSION_BOUNDS). */
const LOCK_NOT_AVAILABLE = "55P03";
/** statement_timeout (or a cancel) ended a statement: the session itself is still good. */
const QUERY_CANCELED = "57014";

export function isUnavailable(err: unknown): boolean {
  return err instanceof PgError && (UNAVAILABLE_CLASSES.has(err.code.slice(0, 2)) || err.code === LOCK_NOT_AVAILABLE || /^E[A-Z]+$/.test(err.code));
}

/** How long one call may wait for the server before the store reports itself unavailable. */
const CALL_TIMEOUT_MS = 30_000;

/**
 * Every session's bounds, enforced by the server and below CALL_TIMEOUT_MS, so that a long wait ends
 * with the server's own error and this session intact rather than with this thread's timeout, which
 * stops the worker and every connection it holds: a wait for a lock another process holds (lock_timeout),
 * a statement that runs too long (statement_timeout), and a transaction left idle
 * (idle_in_transaction_session_timeout): a process frozen while it holds the ledger's lock would
 * otherwise hold it, and stop every other replica's appends, until its connection died. Arbiter's own
 * transactions never wait between statements: they are synchronous, with nothing awaited inside.
 */
export const SESSION_BOUNDS = { lock_timeout: "20s", statement_timeout: "25s", idle_in_transaction_session_timeout: "60s" } as const;

const SET_SESSION_BOUNDS = `SELECT ${Object.entries(SESSION_BOUNDS).map(([name, value]) => `set_config('${name}', '${value}', false)`).join(", ")}`;

function call(request: PgRequest): PgResponse {
  let response: PgResponse;
  try {
    response = callPgWorker(request, CALL_TIMEOUT_MS);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new ArbiterError("LEDGER_UNAVAILABLE", `PostgreSQL did not answer: ${message}`);
  }
  return response;
}

/** Which of SESSION_BOUNDS ended a statement, said in the refusal: the server's own words do not name the limit. */
function boundNamed(code: string, message: string): string {
  if (code === LOCK_NOT_AVAILABLE) return ` (another session held a lock of the store for longer than lock_timeout, ${SESSION_BOUNDS.lock_timeout} unless changed)`;
  if (code === QUERY_CANCELED && /statement timeout/.test(message)) return ` (the statement ran for longer than statement_timeout, ${SESSION_BOUNDS.statement_timeout} unless changed)`;
  return "";
}

/** A value read back from the worker: a bytea column arrives as a Uint8Array and leaves as a Buffer. */
function asBuffers(rows: unknown[]): void {
  for (const row of rows) {
    const r = row as Record<string, unknown>;
    for (const key in r) {
      const v = r[key];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) r[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
}

export class PgConnection {
  private depth = 0;
  private closed = false;
  /** The server ended the session (a restart, a failover, a network cut): the next call outside a transaction opens a new one. */
  private lost = false;
  /** Session settings to apply again on a new session. */
  private readonly settings: string[] = [];

  private constructor(
    private id: number,
    readonly location: PostgresLocation,
  ) {}

  /** Connects to `location`; with createSchema, makes its schema if it does not exist yet. */
  static open(location: PostgresLocation, options: { createSchema?: boolean } = {}): PgConnection {
    const response = call({ op: "open", url: location.url, schema: location.schema, createSchema: options.createSchema ?? false });
    if (!response.ok) {
      // The driver's text may quote the URL it was given, and the URL may hold a password.
      throw new ArbiterError("LEDGER_UNAVAILABLE", `cannot connect to the PostgreSQL store at ${redactUrl(location.url)} (schema ${location.schema}): ${scrubPassword(response.message, location.url)}`);
    }
    const conn = new PgConnection(response.id as number, location);
    try {
      conn.setting(SET_SESSION_BOUNDS);
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  /** Rows of one statement. */
  query<R = Record<string, unknown>>(text: string, values?: readonly unknown[]): R[] {
    return this.batch([values === undefined ? { text } : { text, values }])[0] as R[];
  }

  /** Applies a session setting (`SET …`) now and again on every new session after a lost one. */
  setting(text: string): void {
    this.query(text);
    this.settings.push(text);
  }

  /** Runs the statements in order in one round trip; the rows of each. Throws PgError for the first refused. */
  batch(statements: readonly PgStatement[]): unknown[][] {
    if (this.closed) throw new ArbiterError("LEDGER_UNAVAILABLE", "the PostgreSQL store is closed");
    // A transaction cut with its session is over: only a call outside one may start a new session.
    if (this.lost && this.depth === 0) this.reconnect();
    const response = call({ op: "batch", id: this.id, statements });
    if (!response.ok) {
      const err = new PgError(response.code, response.message, response.constraint);
      // The server is gone or cannot write: not a bug in the statement, and never a 500.
      if (isUnavailable(err)) {
        if (err.code.startsWith("08") || (err.code.startsWith("57") && err.code !== QUERY_CANCELED)) this.lost = true;
        throw new ArbiterError("LEDGER_UNAVAILABLE", `PostgreSQL cannot serve the store: ${scrubPassword(response.message, this.location.url)}${boundNamed(err.code, response.message)}`);
      }
      throw err;
    }
    const results = response.results ?? [];
    for (const rows of results) asBuffers(rows);
    return results;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  /**
   * Runs `fn` in one transaction (joined when one is open already): committed when it returns,
   * rolled back when it throws. `begin` replaces the BEGIN statement (isolation level, read only),
   * `first` runs in the same round trip right after it (a lock).
   */
  transaction<T>(fn: () => T, options: { begin?: string; first?: readonly PgStatement[] } = {}): T {
    if (this.depth > 0) {
      this.depth++;
      try {
        return fn();
      } finally {
        this.depth--;
      }
    }
    try {
      this.batch([{ text: options.begin ?? "BEGIN" }, ...(options.first ?? [])]);
    } catch (err) {
      // BEGIN ran and a `first` statement failed: the server holds an aborted transaction until it ends.
      this.rollbackQuietly();
      throw err;
    }
    this.depth = 1;
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.depth = 0;
      this.rollbackQuietly();
      throw err;
    }
    this.depth = 0;
    try {
      this.batch([{ text: "COMMIT" }]);
    } catch (err) {
      this.rollbackQuietly();
      throw err;
    }
    return result;
  }

  private reconnect(): void {
    call({ op: "close", id: this.id });
    const response = call({ op: "open", url: this.location.url, schema: this.location.schema, createSchema: false });
    if (!response.ok) throw new ArbiterError("LEDGER_UNAVAILABLE", `cannot connect to the PostgreSQL store again: ${scrubPassword(response.message, this.location.url)}`);
    this.id = response.id as number;
    this.lost = false;
    for (const text of this.settings) this.query(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    call({ op: "close", id: this.id });
  }

  private rollbackQuietly(): void {
    try {
      this.batch([{ text: "ROLLBACK" }]);
    } catch {
      // The connection is gone or the transaction is over already: nothing was committed either way.
    }
  }
}
